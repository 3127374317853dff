module github.com/nook-db/nook/sdk-go/lib/linux_amd64

go 1.23
