module github.com/nook-db/nook/sdk-go/lib/darwin_amd64

go 1.23
