"""Use cases: each composes the pure domain with the table, the bucket, KMS and SES."""
