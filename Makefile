GO ?= go
FUZZTIME ?= 5m

.PHONY: run build test vet race fuzz bench bench-go memory clean

# Run a node with the defaults: 127.0.0.1:6379, data in ./lightcone-data.
run:
	$(GO) run ./cmd/lightcone server

build:
	$(GO) build -o lightcone ./cmd/lightcone

# The full test suite: vet (also of the macOS build, so that it keeps
# building), every test (differential tests need redis-server
# on PATH and say so when it is missing), and the race detector on the
# packages with concurrency.
test: vet
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -race -short ./internal/engine/ ./internal/server/ ./internal/resp/ ./internal/wal/ ./internal/cluster/

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOOS=darwin GOARCH=arm64 $(GO) vet ./...

# Fuzz the parsers of outside input (every Fuzz target), FUZZTIME each.
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzReadCommand$$' -fuzztime=$(FUZZTIME) ./internal/resp/
	$(GO) test -run='^$$' -fuzz='^FuzzReadValue$$' -fuzztime=$(FUZZTIME) ./internal/resp/
	$(GO) test -run='^$$' -fuzz='^FuzzLookAhead$$' -fuzztime=$(FUZZTIME) ./internal/resp/
	$(GO) test -run='^$$' -fuzz='^FuzzDecode$$' -fuzztime=$(FUZZTIME) ./internal/effect/
	$(GO) test -run='^$$' -fuzz='^FuzzDecode$$' -fuzztime=$(FUZZTIME) ./internal/rdb/
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeHash$$' -fuzztime=$(FUZZTIME) ./internal/rdb/
	$(GO) test -run='^$$' -fuzz='^FuzzSetDecode$$' -fuzztime=$(FUZZTIME) ./internal/rdb/
	$(GO) test -run='^$$' -fuzz='^FuzzLZF$$' -fuzztime=$(FUZZTIME) ./internal/rdb/
	$(GO) test -run='^$$' -fuzz='^FuzzEntries$$' -fuzztime=$(FUZZTIME) ./internal/listpack/
	$(GO) test -run='^$$' -fuzz='^FuzzAppend$$' -fuzztime=$(FUZZTIME) ./internal/listpack/
	$(GO) test -run='^$$' -fuzz='^FuzzLogReader$$' -fuzztime=$(FUZZTIME) ./internal/wal/
	$(GO) test -run='^$$' -fuzz='^FuzzLoadEntry$$' -fuzztime=$(FUZZTIME) ./internal/wal/
	$(GO) test -run='^$$' -fuzz='^FuzzFrames$$' -fuzztime=$(FUZZTIME) ./internal/cluster/

# redis-benchmark side by side with redis-server (ratios).
bench:
	bash bench/compare.sh

# Go benchmarks of the hot path.
bench-go:
	$(GO) test -run='^$$' -bench=. -benchmem ./internal/resp/ ./internal/engine/ ./internal/server/

memory:
	bash bench/memory.sh

clean:
	rm -f lightcone
