// A program outside the Nook repository, as a user would write it: test.sh
// builds it in a fresh module against the release's Go modules (dist.sh) and
// runs it. It writes a value, closes the database, opens it again and reads
// the value back from the file.
// Usage: outside <directory for the database>
package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	nook "github.com/nook-db/nook/sdk-go"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: outside <directory for the database>")
	}
	path := filepath.Join(os.Args[1], "outside.nook")

	db, err := nook.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := db.PutValue([]byte("greeting"), "hello from outside"); err != nil {
		log.Fatal(err)
	}
	if err := db.Close(); err != nil {
		log.Fatal(err)
	}

	db, err = nook.Open(path, nook.MustExist())
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	var greeting string
	if err := db.GetValue([]byte("greeting"), &greeting); err != nil {
		log.Fatal(err)
	}
	major, minor := nook.LibraryABIVersion()
	fmt.Printf("read back %q (libnook ABI %d.%d)\n", greeting, major, minor)
}
