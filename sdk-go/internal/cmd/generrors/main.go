// Command generrors writes errors_gen.go from spec/errors.toml.
//
// It is run by `go generate` in sdk-go (see the directive in errors.go):
//
//	go run ./internal/cmd/generrors -in ../spec/errors.toml -out errors_gen.go
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/nook-db/nook/sdk-go/internal/errgen"
)

func main() {
	in := flag.String("in", "../spec/errors.toml", "the error table")
	out := flag.String("out", "errors_gen.go", "the Go file to write")
	pkg := flag.String("pkg", "nook", "the package name of the output")
	flag.Parse()
	if err := run(*in, *out, *pkg); err != nil {
		fmt.Fprintln(os.Stderr, "generrors:", err)
		os.Exit(1)
	}
}

func run(in, out, pkg string) error {
	src, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	rows, err := errgen.Parse(src)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	code, err := errgen.Render(pkg, rows)
	if err != nil {
		return err
	}
	return os.WriteFile(out, code, 0o644)
}
