package runner

// binfmtCheck asks package binfmt whether a foreign platform can run here.
func binfmtCheck(platform string) error {
	return nil
}
