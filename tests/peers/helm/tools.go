//go:build tools

// Package peers pins helm for the Helm unit tests (test-only; never linked
// into the product): the tests compare what the agent applies with what this
// helm prints for the same chart and values.
package peers

import _ "helm.sh/helm/v4/cmd/helm"
