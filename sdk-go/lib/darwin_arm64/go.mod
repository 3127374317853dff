module github.com/nook-db/nook/sdk-go/lib/darwin_arm64

go 1.23
