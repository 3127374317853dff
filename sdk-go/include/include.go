// Package include holds nook.h, the C header the nook package compiles
// against. It has no Go code; this file exists so that `go mod vendor`, which
// copies only folders with Go packages, keeps the header (golang/go#26366).
package include
