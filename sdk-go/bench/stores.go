package main

import (
	"path/filepath"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	nook "github.com/nook-db/nook/sdk-go"
	bolt "go.etcd.io/bbolt"
)

// Every store is used in its default, durable configuration: a commit is
// fsynced before it returns.

type nookStore struct{ db *nook.DB }

// nookCache is the -nook-cache flag.
var nookCache int

func openNook(dir string) (store, error) {
	db, err := nook.Open(filepath.Join(dir, "bench.nook"), nook.CacheSize(nookCache))
	return &nookStore{db}, err
}

func (s *nookStore) load(keys, values [][]byte) error {
	var b nook.WriteBatch
	for i := 0; i < len(keys); i += 10_000 {
		b.Reset()
		for j := i; j < min(i+10_000, len(keys)); j++ {
			b.Put(keys[j], values[j])
		}
		if err := s.db.Apply(&b); err != nil {
			return err
		}
	}
	return nil
}

func (s *nookStore) get(key []byte) ([]byte, error)     { return s.db.Get(key) }
func (s *nookStore) putDurable(key, value []byte) error { return s.db.Put(key, value) }
func (s *nookStore) putGrouped(key, value []byte) error {
	return s.db.Batch(func(tx *nook.Tx) error { return tx.Put(key, value) })
}
func (s *nookStore) putBatch(keys, values [][]byte) error {
	return s.db.Write(func(tx *nook.Tx) error {
		for i := range keys {
			if err := tx.Put(keys[i], values[i]); err != nil {
				return err
			}
		}
		return nil
	})
}
func (s *nookStore) iterate() (int, error) {
	n := 0
	sc := s.db.Scan(nil)
	for range sc.All() {
		n++
	}
	return n, sc.Err()
}
func (s *nookStore) close() error { return s.db.Close() }

type boltStore struct{ db *bolt.DB }

var bucket = []byte("bench")

func openBolt(dir string) (store, error) {
	db, err := bolt.Open(filepath.Join(dir, "bench.bolt"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(bucket); return err })
	return &boltStore{db}, err
}

func (s *boltStore) load(keys, values [][]byte) error {
	for i := 0; i < len(keys); i += 10_000 {
		if err := s.putBatch(keys[i:min(i+10_000, len(keys))], values[i:min(i+10_000, len(keys))]); err != nil {
			return err
		}
	}
	return nil
}

func (s *boltStore) get(key []byte) (out []byte, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		// bbolt's slice points into the mmap and dies with the transaction:
		// copy it, as Nook's Get does.
		out = append([]byte(nil), tx.Bucket(bucket).Get(key)...)
		return nil
	})
	return out, err
}
func (s *boltStore) putDurable(key, value []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(key, value) })
}
func (s *boltStore) putGrouped(key, value []byte) error {
	return s.db.Batch(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(key, value) })
}
func (s *boltStore) putBatch(keys, values [][]byte) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		for i := range keys {
			if err := b.Put(keys[i], values[i]); err != nil {
				return err
			}
		}
		return nil
	})
}
func (s *boltStore) iterate() (n int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error { n++; return nil })
	})
	return n, err
}
func (s *boltStore) close() error { return s.db.Close() }

type badgerStore struct{ db *badger.DB }

func openBadger(dir string) (store, error) {
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil).WithSyncWrites(true))
	return &badgerStore{db}, err
}

func (s *badgerStore) load(keys, values [][]byte) error {
	wb := s.db.NewWriteBatch()
	for i := range keys {
		if err := wb.Set(keys[i], values[i]); err != nil {
			return err
		}
	}
	return wb.Flush()
}
func (s *badgerStore) get(key []byte) (out []byte, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		out, err = item.ValueCopy(nil)
		return err
	})
	return out, err
}
func (s *badgerStore) putDurable(key, value []byte) error {
	return s.db.Update(func(txn *badger.Txn) error { return txn.Set(key, value) })
}
func (s *badgerStore) putGrouped(key, value []byte) error { return s.putDurable(key, value) }
func (s *badgerStore) putBatch(keys, values [][]byte) error {
	return s.db.Update(func(txn *badger.Txn) error {
		for i := range keys {
			if err := txn.Set(keys[i], values[i]); err != nil {
				return err
			}
		}
		return nil
	})
}
func (s *badgerStore) iterate() (n int, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := it.Item().Value(func([]byte) error { return nil }); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
func (s *badgerStore) close() error { return s.db.Close() }
