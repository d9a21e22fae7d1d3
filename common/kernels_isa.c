/* kernels_isa - which instruction set our kernels use (kernels.h): the
 * CPU's, read once by cpuid, capped by kernels_set_isa (nn.kernels); and
 * the activations every path shares. */
#include <pthread.h>

#include "kernels.h"
#include "kernels_avx2.h"
#include "kernels_priv.h"

/* Exported by libdarknet but not declared in darknet.h. */
float activate(float x, ACTIVATION a);
/* OpenBLAS's own; not in the netlib cblas.h that may be the system's. */
void openblas_set_num_threads(int n);

/* kernels_amx.c's, when it is linked in (kernels_priv.h) */
#pragma weak kamx_usable

static pthread_once_t kernels_once = PTHREAD_ONCE_INIT;
static int kernels_cpu = KERNELS_STOCK;
/* set before networks load (nn.kernels), read by kernels_attach */
static int kernels_want = KERNELS_AVX512;

static void kernels_init(void)
{
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		kernels_cpu = KERNELS_AVX2;
	/* the compiler's check includes the OS saving the zmm registers */
	if (kernels_cpu == KERNELS_AVX2 && __builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
		kernels_cpu = KERNELS_AVX512;
	if (kernels_cpu == KERNELS_AVX512 && kamx_usable != NULL && kamx_usable())
		kernels_cpu = KERNELS_AMX;
	/* gatewatch runs one network per thread: sgemm must not fan out. */
	if (kernels_cpu != KERNELS_STOCK)
		openblas_set_num_threads(1);
}

int kernels_isa_cpu(void)
{
	pthread_once(&kernels_once, kernels_init);
	return kernels_cpu;
}

int kernels_available(void)
{
	return kernels_isa_cpu() != KERNELS_STOCK;
}

int kernels_set_isa(int isa)
{
	kernels_want = isa < KERNELS_STOCK ? KERNELS_STOCK : isa;
	return kernels_isa();
}

int kernels_isa(void)
{
	int cpu = kernels_isa_cpu();

	return kernels_want < cpu ? kernels_want : cpu;
}

const char *kernels_isa_name(int isa)
{
	static const char *const names[] = { "stock", "avx2", "avx512", "amx" };

	return isa >= KERNELS_STOCK && isa <= KERNELS_AMX ? names[isa] : "?";
}

/* The activation the AVX2 loops apply, or -1 for "darknet's, afterwards". */
int kernels_act_of(ACTIVATION a)
{
	switch (a) {
	case LINEAR: return KX_LINEAR;
	case LEAKY: return KX_LEAKY;
	case RELU: return KX_RELU;
	default: return -1;
	}
}

void kernels_activate(float *x, int n, ACTIVATION a)
{
	int k = kernels_act_of(a), i;

	if (k >= 0 && kernels_available()) {
		kx_act(x, n, 1, n, (enum kx_act)k);
		return;
	}
	for (i = 0; i < n; i++)
		x[i] = activate(x[i], a);
}
