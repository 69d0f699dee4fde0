// Package testtool lets a test use an external program (pdftotext, node):
// when it is missing the test is skipped locally but fails under CI=true,
// where .ci/run has installed it.
package testtool

import (
	"os"
	"os/exec"
	"testing"
)

// Require returns the path of the named program, skipping the test when it
// is missing, or failing it when CI=true.
func Require(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required under CI=true (.ci/run installs it): %v", name, err)
	}
	t.Skipf("%s not installed; skipping (CI installs it)", name)
	return ""
}

// RequirePath returns path when it exists; otherwise it skips the test
// locally, or fails it under CI=true. what says what is missing and how
// it is installed.
func RequirePath(t testing.TB, path, what string) string {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required under CI=true: %s is missing", what, path)
	}
	t.Skipf("%s not installed (%s missing); skipping (CI installs it)", what, path)
	return ""
}
