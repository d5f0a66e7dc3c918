"""An application (申込) and its requests: the request models (schemas) and the rules an application must satisfy
(rules). The check of an uploaded 認定調書 PDF is esurety/domain/attachments.py (the error codes name its reasons)."""
