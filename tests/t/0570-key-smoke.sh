#!/bin/sh
# key-smoke against the fake services (Vast.ai, GitHub, Hugging Face, W&B on
# one fake server): keys from the environment and ~/.env.local, PASS/FAIL
# with HTTP codes and user names, RESULT and exit code, and no key ever
# printed, not even in part.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/tests/lib/fakevast.sh"
. "$TOP/tests/lib/match.sh"

export ROS_HTTP_BACKOFF_MS=5
VK=vk_Hj5Gf8Dd2S GK=ghp_Zq8LmN3xYv HK=hf_Wk2PqR7sTu WK=wb9XcV4bN1mQ
"$PY" - "$TOP/tests/fake/vast-examples.json" "$T/scenario.json" "$VK" "$GK" "$HK" "$WK" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["api_key"] = sys.argv[3]
d["tokens"] = {"github": sys.argv[4], "hf": sys.argv[5], "wandb": sys.argv[6]}
json.dump(d, open(sys.argv[2], "w"))
EOF
fakevast_start "$T/scenario.json"
export GITHUB_API_URL=$VAST_URL HF_ENDPOINT=$VAST_URL/ WANDB_BASE_URL=$VAST_URL
cd "$T"

# no key may show up, not even four characters of one
leaks() {
	"$PY" -c 'import sys
text = sys.stdin.read()
print([k for k in sys.argv[1:] if any(k[i:i + 4] in text for i in range(len(k) - 3))])' "$VK" "$GK" "$HK" "$WK"
}

cat >"$HOME/.env.local" <<EOF
# secrets
VASTAI_API_KEY=$VK
GITHUB_TOKEN=$GK   # a comment
export HF_TOKEN="$HK"
WANDB_API_KEY='$WK'
EOF
check "all keys good" "$ROS" key-smoke
check_eq "the report" "$OUT" "Keys from the environment and $HOME/.env.local (the environment wins)
  Vast.ai       VASTAI_API_KEY  present  PASS  HTTP 200  ros-ci
  GitHub        GITHUB_TOKEN    present  PASS  HTTP 200  ros-ci
  Hugging Face  HF_TOKEN        present  PASS  HTTP 200  ros-ci
  W&B           WANDB_API_KEY   present  PASS  HTTP 200  ros-ci
RESULT: PASS"
check_eq "no key printed" "$(cat .out .err | leaks)" "[]"
check_eq "the leak check sees a leak" "$(printf 'x%sy' "$(printf '%s' "$GK" | cut -c3-6)" | leaks)" "['$GK']"
check_eq "the four requests, each with its own key in a header only" \
	"$(fakevast_log_json '[(r["method"], r["path"], r["headers"]["Authorization"], r["query"]) for r in L]')" \
	"[[\"GET\", \"/api/v0/users/current/\", \"Bearer $VK\", {}], [\"GET\", \"/user\", \"Bearer $GK\", {}], [\"GET\", \"/api/whoami-v2\", \"Bearer $HK\", {}], [\"POST\", \"/graphql\", \"Basic $(printf 'api:%s' "$WK" | base64)\", {}]]"
check_eq "W&B: the viewer query" "$(fakevast_log_json 'L[-1]["body"]')" '{"query": "query Viewer { viewer { username } }"}'
check "works outside a root" test ! -d queues

# --- the environment wins over the file ---
check_exit 1 "a bad HF token in the environment" env HF_TOKEN=hf_nope_nope "$ROS" key-smoke
check_re "HF fails with its code and reason" "$OUT" '  Hugging Face  HF_TOKEN        present  FAIL  HTTP 401  key rejected: Invalid credentials in Authorization header'
check_re "the rest pass" "$OUT" 'W&B           WANDB_API_KEY   present  PASS'
check_re "RESULT: FAIL" "$OUT" 'RESULT: FAIL$'
check_exit 1 "a bad Vast key (VAST_API_KEY beats VASTAI_API_KEY)" env VAST_API_KEY=vk_wrong_wrong "$ROS" key-smoke
check_re "Vast.ai fails plainly" "$OUT" 'Vast.ai       VAST_API_KEY   present  FAIL  HTTP 401  Vast.ai rejected the API key \(HTTP 401: Invalid user key\)'
check_exit 1 "bad GitHub and W&B keys" env GITHUB_TOKEN=gh_bad_bad WANDB_API_KEY=wb_bad_bad "$ROS" key-smoke
check_re "GitHub" "$OUT" 'GitHub        GITHUB_TOKEN    present  FAIL  HTTP 401  key rejected: Bad credentials'
check_re "W&B" "$OUT" 'W&B           WANDB_API_KEY   present  FAIL  HTTP 401  key rejected: user is not logged in'
check_eq "no key printed" "$(cat .out .err | leaks)" "[]"

# --- missing keys ---
printf 'VAST_API_KEY=%s\n' "$VK" >"$T/only-vast"
check "only the Vast key (--env-file)" "$ROS" key-smoke --env-file "$T/only-vast"
check_eq "the others missing; RESULT: PASS" "$OUT" "Keys from the environment and $T/only-vast (the environment wins)
  Vast.ai       VAST_API_KEY   present  PASS  HTTP 200  ros-ci
  GitHub        GITHUB_TOKEN   missing  -
  Hugging Face  HF_TOKEN       missing  -
  W&B           WANDB_API_KEY  missing  -
RESULT: PASS"
: >"$T/empty"
check_exit 1 "no keys at all" "$ROS" key-smoke --env-file "$T/empty"
check_re "RESULT: FAIL" "$OUT" '\(no keys found\)
RESULT: FAIL$'
mkdir -p "$XDG_CONFIG_HOME/vastai"
printf '%s\n' "$VK" >"$XDG_CONFIG_HOME/vastai/vast_api_key"
check "the Vast key from the vastai key file" "$ROS" key-smoke --env-file "$T/empty"
check_re "named by its file" "$OUT" "Vast.ai       $XDG_CONFIG_HOME/vastai/vast_api_key  present  PASS  HTTP 200  ros-ci"
check_exit 1 "a missing --env-file" "$ROS" key-smoke --env-file "$T/nope"
check_re "says so" "$ERR" "cannot read $T/nope"

# --- odd replies ---
: >"$FAKEVAST_LOG"
check "429 burst on GitHub" fakevast_ctl fail '{"path_prefix":"/user","status":429,"count":2}'
check "still PASS" "$ROS" key-smoke
check_eq "two 429s, then 200" "$(fakevast_log_json '[r["status"] for r in L if r["path"] == "/user"]')" "[429, 429, 200]"
check "a reply that echoes the key" fakevast_ctl fail "{\"path_prefix\":\"/user\",\"status\":401,\"body\":{\"message\":\"token $GK is revoked\"}}"
check_exit 1 "echoed key" "$ROS" key-smoke
check_re "scrubbed" "$OUT" 'key rejected: token <redacted> is revoked'
check "W&B 200 without a viewer" fakevast_ctl fail '{"path_prefix":"/graphql","status":200,"body":{"data":{"viewer":null}}}'
check_exit 1 "no viewer" "$ROS" key-smoke
check_re "not accepted" "$OUT" 'W&B .* FAIL  HTTP 200  the key was not accepted \(no user in the reply\)'
check "Vast.ai down" fakevast_ctl fail '{"path_prefix":"/api/v0/users","drop":true,"count":-1}'
check_exit 1 "no reply" "$ROS" key-smoke
check_re "said" "$OUT" 'Vast.ai .* FAIL +cannot check the API key: no reply from Vast.ai'
check "clear" fakevast_ctl fail '{"clear":true}'
check_eq "no key printed anywhere" "$(cat .out .err | leaks)" "[]"
check "--json" "$ROS" key-smoke --json
check_eq "json" "$(printf '%s' "$OUT" | fakevast_json '[d["result"], [(c["service"], c["variable"], c["present"], c["ok"], c["status"], c["user"]) for c in d["checks"]]]')" \
	'["PASS", [["Vast.ai", "VASTAI_API_KEY", true, true, 200, "ros-ci"], ["GitHub", "GITHUB_TOKEN", true, true, 200, "ros-ci"], ["Hugging Face", "HF_TOKEN", true, true, 200, "ros-ci"], ["W&B", "WANDB_API_KEY", true, true, 200, "ros-ci"]]]'
check_eq "no key in --json either" "$(cat .out .err | leaks)" "[]"
done_testing
