module github.com/nook-db/nook/sdk-go/lib/linux_arm64

go 1.23
