"""HTTP glue: the handlers' shared request and response plumbing (http, json_body, headers) and the response models (answers), from which docs/openapi.json is generated."""
