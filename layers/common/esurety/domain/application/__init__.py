"""An application (申込) and its requests: the request models (schemas), the rules an application must satisfy (rules), the check of an uploaded PDF (attachments)."""
