//go:build cgo

package nook_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"

	nook "github.com/nook-db/nook/sdk-go"
)

func Example() {
	dir, _ := os.MkdirTemp("", "nook-example")
	defer os.RemoveAll(dir)

	db, err := nook.Open(filepath.Join(dir, "app.nook"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	// Values are CBOR; PutValue/GetValue convert Go values.
	type User struct {
		Name string `cbor:"name"`
		Age  int    `cbor:"age"`
	}
	if err := db.PutValue([]byte("user:1"), User{"Ada", 36}); err != nil {
		log.Fatal(err)
	}
	var u User
	if err := db.GetValue([]byte("user:1"), &u); err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.Name, u.Age)

	_, err = db.Get([]byte("user:2"))
	fmt.Println(errors.Is(err, nook.ErrNotFound))
	// Output:
	// Ada 36
	// true
}

func ExampleDB_Write() {
	db, _ := nook.OpenMemory()
	defer db.Close()

	// Everything in fn commits together, or nothing does.
	err := db.Write(func(tx *nook.Tx) error {
		if err := tx.PutValue([]byte("balance:alice"), 70); err != nil {
			return err
		}
		return tx.PutValue([]byte("balance:bob"), 30)
	})
	fmt.Println(err)

	// Returning an error rolls back.
	err = db.Write(func(tx *nook.Tx) error {
		tx.PutValue([]byte("balance:alice"), 0)
		return errors.New("insufficient funds")
	})
	var alice int
	db.GetValue([]byte("balance:alice"), &alice)
	fmt.Println(err, alice)
	// Output:
	// <nil>
	// insufficient funds 70
}

func ExampleDB_View() {
	db, _ := nook.OpenMemory()
	defer db.Close()
	db.PutValue([]byte("a"), 1)
	db.PutValue([]byte("b"), 2)

	// A read transaction sees one snapshot, whatever commits meanwhile.
	db.View(func(tx *nook.Tx) error {
		db.PutValue([]byte("c"), 3)
		n, _ := tx.Count()
		fmt.Println("in the snapshot:", n)
		return nil
	})
	n, _ := db.Count()
	fmt.Println("now:", n)
	// Output:
	// in the snapshot: 2
	// now: 3
}

func ExampleScan() {
	db, _ := nook.OpenMemory()
	defer db.Close()
	for _, k := range []string{"user:1", "user:2", "order:1"} {
		db.PutValue([]byte(k), k)
	}

	s := db.Scan([]byte("user:"))
	var keys []string
	for k, v := range s.All() {
		var s string
		nook.Unmarshal(v, &s)
		keys = append(keys, string(k))
	}
	if err := s.Err(); err != nil {
		log.Fatal(err)
	}
	sort.Strings(keys) // pairs come in no particular order
	fmt.Println(keys)
	// Output: [user:1 user:2]
}

func ExampleDB_GetInto() {
	db, _ := nook.OpenMemory()
	defer db.Close()
	db.Put([]byte("counter"), []byte{0x18, 0x2a}) // the CBOR integer 42

	buf := make([]byte, 2)
	n, err := db.GetInto([]byte("counter"), buf) // no allocation
	fmt.Printf("%x %v\n", buf[:n], err)

	db.PutValue([]byte("counter"), "a longer value")
	n, err = db.GetInto([]byte("counter"), buf)
	if errors.Is(err, nook.ErrBufferTooSmall) {
		buf = make([]byte, n)
		n, err = db.GetInto([]byte("counter"), buf)
	}
	fmt.Println(n, err)
	// Output:
	// 182a <nil>
	// 15 <nil>
}

func ExampleDB_Batch() {
	db, _ := nook.OpenMemory()
	defer db.Close()

	// Many goroutines' small updates share one transaction and one commit.
	// fn may run more than once, so it only acts through tx.
	done := make(chan error)
	for i := 0; i < 10; i++ {
		go func(i int) {
			done <- db.Batch(func(tx *nook.Tx) error {
				return tx.PutValue([]byte(fmt.Sprint("job:", i)), "done")
			})
		}(i)
	}
	for i := 0; i < 10; i++ {
		if err := <-done; err != nil {
			log.Fatal(err)
		}
	}
	n, _ := db.Count()
	fmt.Println(n)
	// Output: 10
}

func ExampleError() {
	db, _ := nook.OpenMemory()
	defer db.Close()

	err := db.Put([]byte("k"), []byte{0x18}) // truncated CBOR
	var e *nook.Error
	if errors.As(err, &e) {
		fmt.Println(int(e.Code), e.Name, errors.Is(err, nook.ErrInvalidValue))
	}
	// Output: 4 INVALID_VALUE true
}

func ExampleDB_Begin() {
	db, _ := nook.OpenMemory()
	defer db.Close()

	tx, err := db.Begin(true)
	if err != nil {
		log.Fatal(err)
	}
	defer tx.Rollback() // after Commit this returns ErrClosed, which is fine to ignore
	tx.PutValue([]byte("k"), "v")
	if err := tx.Commit(); err != nil {
		log.Fatal(err)
	}
	ok, _ := db.Has([]byte("k"))
	fmt.Println(ok)
	// Output: true
}

func ExampleDB_Apply() {
	db, _ := nook.OpenMemory()
	defer db.Close()

	// Every put and delete of the batch commits atomically, in one cgo call.
	var b nook.WriteBatch
	for i := 0; i < 1000; i++ {
		v, _ := nook.Marshal(i)
		b.Put([]byte(fmt.Sprintf("n:%04d", i)), v)
	}
	b.Delete([]byte("n:0000"))
	if err := db.Apply(&b); err != nil {
		log.Fatal(err)
	}
	n, _ := db.Count()
	fmt.Println(n)
	// Output: 999
}
