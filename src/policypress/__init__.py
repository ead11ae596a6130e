"""policypress: clinical coverage policies built from structured source."""
