#!/bin/sh
# Re-fetches the real Safe 1.4.1 contracts committed here from the Safe
# project's npm package @safe-global/safe-contracts 1.4.1 (LGPL-3.0),
# checks the tarball against the SHA-1 the npm registry publishes for it,
# and keeps only the Hardhat artifacts the scenarios deploy, cut down to
# contract name, ABI and creation bytecode (byte for byte as published).
#
#   sh internal/scenario/contracts/safe/fetch.sh
set -eu
PKG=@safe-global/safe-contracts
VERSION=1.4.1
SHA1=82605342f3289dc6b99818f599a3409ec2cb3fdc
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PKG@$VERSION" >/dev/null)
tgz="$work/safe-global-safe-contracts-$VERSION.tgz"
got=$(sha1sum "$tgz" | cut -d' ' -f1)
if [ "$got" != "$SHA1" ]; then
	echo "fetch.sh: $tgz has SHA-1 $got, the registry publishes $SHA1" >&2
	exit 1
fi
tar -xzf "$tgz" -C "$work"
for c in Safe SafeProxyFactory; do
	f=$(find "$work/package/build/artifacts" -name "$c.json" | head -n 1)
	node -e '
const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
process.stdout.write(JSON.stringify({contractName: a.contractName, sourceName: a.sourceName, abi: a.abi, bytecode: a.bytecode}, null, 1) + "\n");
' "$f" >"$c.json"
done
cp "$work/package/LICENSE" LICENSE 2>/dev/null || true
echo "$PKG $VERSION sha1 $SHA1" >&2
