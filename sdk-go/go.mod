module github.com/nook-db/nook/sdk-go

go 1.23

require github.com/fxamacker/cbor/v2 v2.9.0

require github.com/x448/float16 v0.8.4 // indirect
