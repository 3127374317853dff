module github.com/nook-db/nook/sdk-go/bench

go 1.23.0

require (
	github.com/dgraph-io/badger/v4 v4.8.0
	github.com/nook-db/nook/sdk-go v0.0.0
	go.etcd.io/bbolt v1.4.3
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/dgraph-io/ristretto/v2 v2.2.0 // indirect
	github.com/dustin/go-humanize v1.0.1 // indirect
	github.com/fxamacker/cbor/v2 v2.9.0 // indirect
	github.com/go-logr/logr v1.4.3 // indirect
	github.com/go-logr/stdr v1.2.2 // indirect
	github.com/google/flatbuffers v25.2.10+incompatible // indirect
	github.com/klauspost/compress v1.18.0 // indirect
	github.com/nook-db/nook/sdk-go/lib/darwin_amd64 v0.0.0 // indirect
	github.com/nook-db/nook/sdk-go/lib/darwin_arm64 v0.0.0 // indirect
	github.com/nook-db/nook/sdk-go/lib/linux_amd64 v0.0.0 // indirect
	github.com/nook-db/nook/sdk-go/lib/linux_arm64 v0.0.0 // indirect
	github.com/nook-db/nook/sdk-go/lib/windows_amd64 v0.0.0 // indirect
	github.com/nook-db/nook/sdk-go/lib/windows_arm64 v0.0.0 // indirect
	github.com/x448/float16 v0.8.4 // indirect
	go.opentelemetry.io/auto/sdk v1.1.0 // indirect
	go.opentelemetry.io/otel v1.37.0 // indirect
	go.opentelemetry.io/otel/metric v1.37.0 // indirect
	go.opentelemetry.io/otel/trace v1.37.0 // indirect
	golang.org/x/net v0.41.0 // indirect
	golang.org/x/sys v0.34.0 // indirect
	google.golang.org/protobuf v1.36.6 // indirect
)

// This module builds against the SDK in this repository and its library
// modules, which link target/release/libnook.a (see ../go.mod).
replace (
	github.com/nook-db/nook/sdk-go => ../
	github.com/nook-db/nook/sdk-go/lib/darwin_amd64 => ../lib/darwin_amd64
	github.com/nook-db/nook/sdk-go/lib/darwin_arm64 => ../lib/darwin_arm64
	github.com/nook-db/nook/sdk-go/lib/linux_amd64 => ../lib/linux_amd64
	github.com/nook-db/nook/sdk-go/lib/linux_arm64 => ../lib/linux_arm64
	github.com/nook-db/nook/sdk-go/lib/windows_amd64 => ../lib/windows_amd64
	github.com/nook-db/nook/sdk-go/lib/windows_arm64 => ../lib/windows_arm64
)
