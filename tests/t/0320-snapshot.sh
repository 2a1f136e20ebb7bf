#!/bin/sh
# ros snapshot: what a dispatch would send of a work tree, with real git.
. "$(dirname "$0")/../lib/testlib.sh"
command -v git >/dev/null || skip_all "no git"
new_root
TESTDIR=$T
R=$PWD
W=$TESTDIR/tree
mkdir -p "$W/sub" && cd "$W" || exit 1
git init -q . && git config user.email t@t && git config user.name t
echo committed > committed.txt
echo mod > modified.txt
echo staged0 > staged.txt
printf '#!/bin/sh\necho run\n' > run.sh && chmod 755 run.sh
echo deep > sub/deep.txt
ln -s sub/deep.txt inlink
printf '*.log\nbuild/\n' > .gitignore
echo 'secret*' > .rosignore
echo tracked-secret > secret-tracked.txt
git add -A && git commit -qm one
echo changed >> modified.txt
echo staged1 > staged.txt && git add staged.txt
echo new > untracked.txt
echo ignored > x.log && mkdir build && echo o > build/out.o
echo s > secret-new.txt
ln -s /etc/passwd outlink
ln -s ../../../etc outlink2
touch -- "$(printf 'new\nline')" '-dash' 'sp ace'
cd "$R" || exit 1

check "snapshot --json" "$ROS" snapshot --workdir "$W" --json --files
J=$OUT
py() { printf '%s' "$J" | "$PY" -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
check_eq "exactly the tree as the user sees it" "$(py "sorted(f['path'] for f in d['list'])")" \
	"['-dash', '.gitignore', '.rosignore', 'committed.txt', 'inlink', 'modified.txt', 'new\\nline', 'run.sh', 'sp ace', 'staged.txt', 'sub/deep.txt', 'untracked.txt']"
check_eq "the executable and the link" "$(py "[(f['path'], f['type']) for f in d['list'] if f['type'] != 'f']")" \
	"[('inlink', 'l'), ('run.sh', 'x')]"
# the hash of every file is the SHA-256 of its content in the working tree
check_eq "hashes of working-tree contents" "$(py "[f['hash'] for f in d['list'] if f['path'] in ('modified.txt', 'staged.txt')]")" \
	"['$(sha256sum < "$W/modified.txt" | cut -c1-64)', '$(sha256sum < "$W/staged.txt" | cut -c1-64)']"
check_eq "a link's hash is its target's" "$(py "[f['hash'] for f in d['list'] if f['path'] == 'inlink'][0]")" \
	"$(printf 'sub/deep.txt' | sha256sum | cut -c1-64)"
check_eq "links out of the tree skipped, named" "$(py "sorted(d['skipped'])")" \
	"['outlink2: a link out of the tree (to ../../../etc)', 'outlink: a link out of the tree (to /etc/passwd)']"
check_eq "git facts" "$(py "(d['code']['branch'], d['code']['commit'] == '$(git -C "$W" rev-parse HEAD)', d['code']['dirty'], d['code']['untracked'])")" \
	"('master', True, True, 4)"
ID=$(py "d['id']")
check_eq "the id is the SHA-256 of the manifest the root keeps" "$(sha256sum < .ros/snap/trees/"$ID" | cut -c1-64)" "$ID"
check_eq "the manifest's records" "$(tr '\0' '\n' < .ros/snap/trees/"$ID" | grep -c '^[fxl] [0-9a-f]\{64\} ')" 12
check "second snapshot" "$ROS" snapshot --workdir "$W" --json
check_eq "unchanged tree: same id" "$(J=$OUT py "d['id']")" "$ID"
sleep 2 # the cache trusts a file's stat only once its second has passed (the racy case, as git's index)
"$ROS" snapshot --workdir "$W" --json > /dev/null
check "third snapshot" "$ROS" snapshot --workdir "$W" --json
check_eq "no file read: the stat cache" "$(J=$OUT py "(d['id'], d['read'])")" "('$ID', 0)"
chmod -x "$W/run.sh"
check "after a mode change" "$ROS" snapshot --workdir "$W" --json
check_eq "a new id" "$(J=$OUT py "d['id'] != '$ID'")" True
chmod +x "$W/run.sh"
check "mode back" "$ROS" snapshot --workdir "$W" --json
check_eq "the old id again" "$(J=$OUT py "d['id']")" "$ID"
printf 'x' >> "$W/sub/deep.txt"
check "after one byte" "$ROS" snapshot --workdir "$W" --json
check_eq "a new id, that file read" "$(J=$OUT py "(d['id'] != '$ID', d['read'] >= 1)")" "(True, True)"
# human output
check "human output" "$ROS" snapshot --workdir "$W" --files
check_match "names the git state" "$OUT" '^git +master@[0-9a-f]{12}, dirty, 4 untracked$'
check_match "a newline in a name is shown escaped" "$OUT" ' new\\nline$'
check_match "counts" "$OUT" '^files +12 \(1 executable, 1 link\)'

# size guard: refused, the largest named, nothing stored
head -c 3000000 /dev/zero > "$W/big.bin"
nblobs=$(ls .ros/snap/blobs | wc -l)
check_exit 1 "over --max-mb" "$ROS" snapshot --workdir "$W" --max-mb 2
check_match "says the size and the limit" "$ERR" 'is 3\.0 MB, over its limit of 2\.0 MB'
check_match "names the largest path first" "$ERR" '^ +3\.0 MB +big\.bin$'
check_eq "nothing stored" "$(ls .ros/snap/blobs | wc -l)" "$nblobs"
check "project.yaml code: sets the tree and the limit" "$ROS" init-project --title Code --idea i --target t
printf 'code:\n  workdir: %s\n  max_mb: 2\n' "$W" >> research/code/project.yaml
check_exit 1 "the project's limit" "$ROS" snapshot --project code
check_match "refused by it" "$ERR" 'over its limit of 2\.0 MB'
check "--max-mb wins" "$ROS" snapshot --project code --max-mb 5
printf 'code: [1]\n' > research/code/project.yaml
check_exit 1 "a bad code: key" "$ROS" snapshot --project code
check_match "path:line:col" "$ERR" 'research/code/project\.yaml:1:7: code must be a mapping'
rm "$W/big.bin"

# outside git: every file but .rosignore's
O=$TESTDIR/plain
mkdir -p "$O/d" && echo a > "$O/a" && echo b > "$O/d/b" && echo k > "$O/keep.log" && echo 'd/' > "$O/.rosignore"
check "outside git" "$ROS" snapshot --workdir "$O" --json --files
check_eq "every file but .rosignore's" "$(J=$OUT py "([f['path'] for f in d['list']], d['git'], d['code']['commit'])")" \
	"(['.rosignore', 'a', 'keep.log'], False, None)"
check_exit 1 "not a directory" "$ROS" snapshot --workdir "$O/a"
check_match "says so" "$ERR" 'plain/a: Not a directory'

# export: exactly the tree back, from the root's copy
check "export" "$ROS" snapshot --export "$(echo "$ID" | cut -c1-10)" "$TESTDIR/exp"
# every file's path, type and content hash, as the snapshot listed them
tree_sig() { (cd "$1" && "$PY" -c '
import os, hashlib
out = []
for d, ds, fs in os.walk("."):
    for f in fs:
        p = os.path.join(d, f)[2:]
        if os.path.islink(p): out.append((p, "l", hashlib.sha256(os.readlink(p).encode()).hexdigest()))
        else: out.append((p, "x" if os.stat(p).st_mode & 0o111 else "f", hashlib.sha256(open(p, "rb").read()).hexdigest()))
print(sorted(out))'); }
check_eq "same paths, types and contents" "$(tree_sig "$TESTDIR/exp")" "$(J=$J py "sorted((f['path'], f['type'], f['hash']) for f in d['list'])")"
check_eq "contents" "$(cat "$TESTDIR/exp/modified.txt")" "$(printf 'mod\nchanged')"
check "mode kept" test -x "$TESTDIR/exp/run.sh"
check_eq "link kept" "$(readlink "$TESTDIR/exp/inlink")" sub/deep.txt
check_exit 1 "export into a non-empty directory" "$ROS" snapshot --export "$ID" "$TESTDIR/exp"
check_exit 1 "export of an unknown id" "$ROS" snapshot --export abcdef0 "$TESTDIR/exp2"
check_match "says so" "$ERR" "no snapshot 'abcdef0'"
check_exit 2 "--export needs a directory" "$ROS" snapshot --export "$ID"
h=$(sha256sum < "$W/committed.txt" | cut -c1-64)
mv ".ros/snap/blobs/$h" "$TESTDIR/kept"
check_exit 1 "export when a content was removed from the root" "$ROS" snapshot --export "$ID" "$TESTDIR/exp3"
check_match "says which" "$ERR" "the content of committed\.txt is no longer kept in the root"
mv "$TESTDIR/kept" ".ros/snap/blobs/$h"
done_testing
