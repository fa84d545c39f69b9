#!/usr/bin/env bash
# Cloud storage throughput: a 64 MiB file written and read in 32 KiB
# chunks through each object-store backend (s3fs, gcsfs, azblobfs) against
# its emulator (gofakes3 and fake-gcs-server in process, Azurite as a
# Node.js process), next to the peer measured in the same run: the same
# bytes moved by the plain SDK in one request. Everything runs on this
# machine, so the numbers measure the client stack and the emulators, not
# a network.
# usage: bench/cloud.sh [ROUNDS]   (default 3 iterations per benchmark)
source "$(dirname "$0")/lib.sh"
rounds=${1:-3}
cd "$BENCH_ROOT"
bash scripts/install-test-deps.sh >/dev/null
raw=$(go test -p 1 -run '^$' -bench 'Benchmark(Write|Read|BaselineWrite|BaselineRead)$' -benchtime "${rounds}x" \
  ./internal/vfs/s3fs ./internal/vfs/gcsfs ./internal/vfs/azblobfs 2>&1 | grep -v superfluous)
if ! grep -q '^ok' <<<"$raw" || grep -q '^FAIL' <<<"$raw"; then
  echo "$raw" >&2
  exit 1
fi
# mbs PKG BENCH: the MB/s go test printed for one benchmark.
mbs() {
  awk -v pkg="$1" -v name="$2" '
    /^pkg: / { cur = $2 }
    $1 ~ "^Benchmark" name "(-[0-9]+)?$" && cur ~ pkg "$" {
      for (i = 1; i <= NF; i++) if ($i == "MB/s") print $(i - 1) }' <<<"$raw"
}
echo "| backend (emulator) | write MB/s | SDK put MB/s | ratio | read MB/s | SDK get MB/s | ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for b in "s3fs:gofakes3" "gcsfs:fake-gcs-server" "azblobfs:Azurite"; do
  pkg=${b%%:*} emu=${b#*:}
  w=$(mbs "$pkg" Write) bw=$(mbs "$pkg" BaselineWrite) r=$(mbs "$pkg" Read) br=$(mbs "$pkg" BaselineRead)
  echo "| $pkg ($emu) | $w | $bw | $(ratio "$w" "$bw") | $r | $br | $(ratio "$r" "$br") |"
done
echo
echo "64 MiB per iteration, ${rounds} iterations, default part sizes (5 MiB, S3 and Azure 4 parts in flight; GCS 16 MiB chunks)."
