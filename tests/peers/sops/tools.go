//go:build tools

// Package peers pins the sops command the SOPS migration tests run against
// (test-only; never linked into the product).
package peers

import _ "github.com/getsops/sops/v3/cmd/sops"
