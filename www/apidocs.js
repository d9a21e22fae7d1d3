// apidocs - the API docs page: Swagger UI over /api/openapi.json. The
// document is fetched with the page's login (same origin); nothing is
// asked of any other host (no validator badge, no remote specs).
/* global SwaggerUIBundle */
"use strict";

const el = document.getElementById("apidocs");
if (typeof SwaggerUIBundle !== "function") {
	el.textContent = "Swagger UI did not load (www/vendor/ is made by `make www`).";
} else {
	SwaggerUIBundle({
		url: "/api/openapi.json",
		dom_id: "#apidocs",
		deepLinking: true,
		validatorUrl: null,
		withCredentials: true,
	});
}
