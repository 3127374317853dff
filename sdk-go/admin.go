package nook

import "runtime"

// Stats are figures about a database, from DB.Stats.
type Stats struct {
	KeyCount      uint64 // keys stored
	TxID          uint64 // id of the last committed transaction
	PageSize      uint32 // bytes per page
	PageCount     uint64 // pages in the file
	FreePages     uint64 // pages free for reuse
	FileSize      uint64 // bytes (0 for an in-memory database)
	TreeDepth     uint32 // depth of the index trie
	InnerPages    uint64 // index pages
	LeafPages     uint64 // leaf pages
	OverflowPages uint64 // pages of values too large for a leaf
	CacheCapacity uint64 // page cache size, bytes
	CacheUsed     uint64 // bytes of the cache in use
	CacheHits     uint64 // page reads served by the cache
	CacheMisses   uint64 // page reads that went to the file
}

// CheckReport is what DB.Check verified.
type CheckReport struct {
	PagesChecked uint64
	KeysChecked  uint64
}

// CompactReport is what DB.Compact did.
type CompactReport struct {
	SizeBefore uint64 // file size before, bytes
	SizeAfter  uint64 // file size after, bytes
}

// Check verifies every reachable page's checksum and the index structure.
// Damage gives an error matching ErrCorrupted that names the first bad page.
func (db *DB) Check() (CheckReport, error) {
	h, err := db.handle()
	if err != nil {
		return CheckReport{}, err
	}
	r, err := nativeCheck(h)
	runtime.KeepAlive(db)
	return r, db.closedAware(err)
}

// Stats returns figures about the database.
func (db *DB) Stats() (Stats, error) {
	h, err := db.handle()
	if err != nil {
		return Stats{}, err
	}
	s, err := nativeStats(h)
	runtime.KeepAlive(db)
	return s, db.closedAware(err)
}

// Compact rewrites the file to near-minimal size, returning freed space to
// the file system. Like a write, it waits for an open write transaction (and
// fails with ErrBusy when that takes too long); readers keep working.
func (db *DB) Compact() (CompactReport, error) {
	h, err := db.handle()
	if err != nil {
		return CompactReport{}, err
	}
	r, err := nativeCompact(h)
	runtime.KeepAlive(db)
	return r, db.closedAware(err)
}

// Backup writes a consistent, compact copy of the last committed state (one
// snapshot; readers and writers keep working) to the new file at path, which
// Open can then open. It never overwrites: an existing path gives ErrExists.
// It works on read-only and in-memory databases too.
func (db *DB) Backup(path string) error {
	if path == "" {
		return errorf(CodeInvalidArgument, "the backup path is empty; pass the file to write")
	}
	h, err := db.handle()
	if err != nil {
		return err
	}
	err = nativeBackup(h, path)
	runtime.KeepAlive(db)
	return db.closedAware(err)
}

// WriteBatch is a list of puts and deletes that DB.Apply commits atomically
// in one call into the library: the fastest way to load many pairs. Build it
// with Put and Delete; it copies nothing until Apply.
type WriteBatch struct {
	ops []batchOp
}

type batchOp struct {
	key, value []byte // value nil: delete
}

// Put adds a put of value under key. The slices must stay unchanged until
// Apply returns.
func (b *WriteBatch) Put(key, value []byte) *WriteBatch {
	if value == nil {
		value = []byte{}
	}
	b.ops = append(b.ops, batchOp{key, value})
	return b
}

// Delete adds a delete of key (absent keys are ignored).
func (b *WriteBatch) Delete(key []byte) *WriteBatch {
	b.ops = append(b.ops, batchOp{key: key})
	return b
}

// Len is the number of operations in the batch.
func (b *WriteBatch) Len() int { return len(b.ops) }

// Reset empties the batch for reuse.
func (b *WriteBatch) Reset() { b.ops = b.ops[:0] }

// Apply commits every operation of b atomically: all of them or, if one key
// or value is invalid, none (the error names the bad one).
func (db *DB) Apply(b *WriteBatch) error {
	h, err := db.handle()
	if err != nil {
		return err
	}
	err = nativeApply(h, b)
	runtime.KeepAlive(db)
	runtime.KeepAlive(b)
	return db.closedAware(err)
}
