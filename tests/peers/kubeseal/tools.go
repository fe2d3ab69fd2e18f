//go:build tools

// Package peers pins kubeseal (bitnami-labs/sealed-secrets) for the import
// tests; it is a test-only peer and never linked into the product.
package peers

import _ "github.com/bitnami/sealed-secrets/cmd/kubeseal"
