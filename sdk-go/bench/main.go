// Command bench measures the Nook Go SDK against bbolt and Badger on the same
// workloads in one run and prints a Markdown table.
//
//	cd sdk-go/bench && go run . [-keys 200000] [-gets 500000] [-durable 200] [-dir /tmp]
//
// (after `cargo build --release -p nook-abi` in the repository root). It is a
// separate module so that the SDK's own module depends only on the CBOR
// library.
//
// Workloads, each on every store:
//   - load: the keys inserted 10,000 per transaction (setup, also timed);
//   - get: random reads of present keys, one goroutine, value copied out;
//   - get x2: the same on two goroutines;
//   - put durable: individual commits, each fsynced before it returns;
//   - put x16: 16 goroutines each making durable single writes (Nook's Put,
//     whose commits share fsyncs in the engine; bbolt's and Badger's Update);
//   - batch x16: the same through Batch (bbolt's Batch, Nook's Batch; Badger
//     has none, so Update again);
//   - batch put: 100 transactions of 1,000 puts each (new keys);
//   - iterate: one pass over every pair.
//
// Keys are 24 bytes, values 150 bytes (a CBOR byte string, which Nook
// requires and the others store as opaque bytes).
package main

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// store is one database under test.
type store interface {
	load(keys, values [][]byte) error     // insert in transactions of 10,000
	get(key []byte) ([]byte, error)       // a copy of the value
	putDurable(key, value []byte) error   // one fsynced commit
	putBatch(keys, values [][]byte) error // one transaction
	putGrouped(key, value []byte) error   // one write, grouped with concurrent callers' (Batch)
	iterate() (int, error)                // pairs seen in a full pass
	close() error
}

type result struct {
	workload string
	ops      int
	elapsed  time.Duration
}

func main() {
	nKeys := flag.Int("keys", 200_000, "pairs loaded before the reads")
	nGets := flag.Int("gets", 500_000, "random reads per read workload")
	nDurable := flag.Int("durable", 200, "individual durable commits")
	dir := flag.String("dir", os.TempDir(), "where the databases are created")
	only := flag.String("only", "", "run only this store (nook, bbolt, badger)")
	flag.IntVar(&nookCache, "nook-cache", 0, "Nook page cache in bytes (0: the default, 64 MiB)")
	flag.Parse()

	keys, values := makePairs(*nKeys, 1)
	extraKeys, extraValues := makePairs(100*1000, 2)
	durableKeys, durableValues := makePairs(*nDurable, 3)
	concKeys, concValues := makePairs(16*(*nDurable), 5)
	groupKeys, groupValues := makePairs(16*(*nDurable), 6)
	r := rand.New(rand.NewSource(4))
	order := make([]int, *nGets)
	for i := range order {
		order[i] = r.Intn(len(keys))
	}

	stores := []struct {
		name string
		open func(dir string) (store, error)
	}{
		{"nook", openNook},
		{"bbolt", openBolt},
		{"badger", openBadger},
	}
	table := map[string]map[string]result{}
	var names []string
	for _, s := range stores {
		if *only != "" && *only != s.name {
			continue
		}
		names = append(names, s.name)
		work, err := os.MkdirTemp(*dir, "nook-bench-"+s.name)
		must(err)
		db, err := s.open(work)
		must(err)
		res := map[string]result{}
		res["load"] = timed("load", len(keys), func() error { return db.load(keys, values) })
		res["get"] = timed("get", len(order), func() error { return gets(db, keys, order, 1) })
		res["get x2"] = timed("get x2", len(order), func() error { return gets(db, keys, order, 2) })
		res["put durable"] = timed("put durable", len(durableKeys), func() error {
			for i := range durableKeys {
				if err := db.putDurable(durableKeys[i], durableValues[i]); err != nil {
					return err
				}
			}
			return nil
		})
		res["put x16"] = timed("put x16", len(concKeys), func() error {
			return concurrently(16, concKeys, concValues, db.putDurable)
		})
		res["batch x16"] = timed("batch x16", len(groupKeys), func() error {
			return concurrently(16, groupKeys, groupValues, db.putGrouped)
		})
		res["batch put"] = timed("batch put", len(extraKeys), func() error {
			for i := 0; i < len(extraKeys); i += 1000 {
				if err := db.putBatch(extraKeys[i:i+1000], extraValues[i:i+1000]); err != nil {
					return err
				}
			}
			return nil
		})
		total := len(keys) + len(extraKeys) + len(durableKeys) + len(concKeys) + len(groupKeys)
		res["iterate"] = timed("iterate", total, func() error {
			n, err := db.iterate()
			if err == nil && n != total {
				err = fmt.Errorf("iterate saw %d pairs, want %d", n, total)
			}
			return err
		})
		must(db.close())
		res["size"] = result{workload: "size", ops: int(dirSize(work))}
		os.RemoveAll(work)
		table[s.name] = res
	}

	fmt.Printf("%d keys (24 B), values 150 B; %s/%s, %d CPUs, %s\n\n", *nKeys, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Print("| workload |")
	for _, n := range names {
		fmt.Printf(" %s |", n)
	}
	fmt.Print("\n|---|")
	for range names {
		fmt.Print("---:|")
	}
	fmt.Println()
	for _, w := range []string{"load", "get", "get x2", "put durable", "put x16", "batch x16", "batch put", "iterate"} {
		fmt.Printf("| %s (ops/s) |", w)
		for _, n := range names {
			r := table[n][w]
			fmt.Printf(" %s |", rate(r))
		}
		fmt.Println()
	}
	fmt.Print("| on-disk size (MiB) |")
	for _, n := range names {
		fmt.Printf(" %.1f |", float64(table[n]["size"].ops)/(1<<20))
	}
	fmt.Println()
}

func gets(db store, keys [][]byte, order []int, workers int) error {
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	per := len(order) / workers
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(part []int) {
			defer wg.Done()
			for _, i := range part {
				v, err := db.get(keys[i])
				if err == nil && len(v) != 150 {
					err = fmt.Errorf("value of %d bytes", len(v))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}(order[w*per : (w+1)*per])
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// concurrently writes the pairs from n goroutines, each its share in order.
func concurrently(n int, keys, values [][]byte, put func(k, v []byte) error) error {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	per := len(keys) / n
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				if err := put(keys[i], values[i]); err != nil {
					errs <- err
					return
				}
			}
		}(w*per, (w+1)*per)
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func timed(name string, ops int, f func() error) result {
	start := time.Now()
	if err := f(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	return result{workload: name, ops: ops, elapsed: time.Since(start)}
}

func rate(r result) string {
	if r.elapsed == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(r.ops)/r.elapsed.Seconds())
}

// makePairs returns n distinct 24-byte keys (in random order) and 150-byte
// CBOR byte-string values.
func makePairs(n int, seed int64) (keys, values [][]byte) {
	r := rand.New(rand.NewSource(seed))
	keys, values = make([][]byte, n), make([][]byte, n)
	for i, p := range r.Perm(n) {
		keys[i] = []byte(fmt.Sprintf("k%d:%021d", seed, p))[:24]
		v := make([]byte, 150)
		v[0], v[1] = 0x58, 148 // CBOR: byte string of 148 bytes
		r.Read(v[2:])
		values[i] = v
	}
	return keys, values
}

func dirSize(dir string) int64 {
	var total int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			total += info.Size()
		}
		return nil
	})
	return total
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
