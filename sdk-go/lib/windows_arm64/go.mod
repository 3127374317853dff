module github.com/nook-db/nook/sdk-go/lib/windows_arm64

go 1.23
