module github.com/nook-db/nook/sdk-go/lib/windows_amd64

go 1.23
