package avaya_test

import "os"

func osTempDir() (string, error) { return os.MkdirTemp("", "avaya-archive-example-*") }

func removeAll(dir string) { _ = os.RemoveAll(dir) }
