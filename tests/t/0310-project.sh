#!/bin/sh
# init-project and project-status.
. "$(dirname "$0")/../lib/testlib.sh"
new_root
check "init-project" "$ROS" init-project --title "Spectral Entropy as Regulariser: ETT!" \
	--idea "Add a spectral entropy penalty" --target "beat TimesNet MSE" --metric MSE
check_match "prints the id" "$OUT" "project_id: spectral_entropy_as_regulariser_ett$"
check_match "prints the folder" "$OUT" "folder: +research/spectral_entropy_as_regulariser_ett/"
check_match "prints the idea id" "$OUT" "idea_id: +i[0-9a-f]{7}$"
P=research/spectral_entropy_as_regulariser_ett
for d in deep_research benchmark/external benchmark/local probes evidence analysis blog paper/figures paper/tables artifacts; do
	check "made $d/" test -d "$P/$d"
done
check_match "project.yaml filled" "$(cat $P/project.yaml)" 'project_id: "?spectral_entropy_as_regulariser_ett"?'
check_match "claim filled" "$(cat $P/project.yaml)" 'claim: "?beat TimesNet MSE"?'
check_match "metric filled" "$(cat $P/project.yaml)" 'primary_metric: "?MSE"?'
check_match "paper title, escaped" "$(cat $P/paper/main.tex)" '\\title\{Spectral Entropy as Regulariser: ETT!\}'
check "deep research request" test -s $P/deep_research/request.md
check_match "from the template, filled in" "$(cat $P/deep_research/request.md)" 'Add a spectral entropy penalty'
# the Python ros.py's init-project reads templates/agents/deep_research_prompt.md
check "ros init wrote the deep research template" test -s templates/agents/deep_research_prompt.md
check_nomatch "with no brace placeholders (the Python tool formats it)" "$(cat templates/agents/deep_research_prompt.md)" '[{}]'
check_eq "one idea" "$(jq_py queues/idea_queue.json '[(e["project_id"], e["status"], e["events"][0]["event"]) for e in d]')" \
	"[('spectral_entropy_as_regulariser_ett', 'new', 'project_initialized')]"
echo "# my notes" >> $P/project.yaml
sum=$(md5sum < $P/project.yaml)
check "init-project again" "$ROS" init-project --title "Spectral Entropy as Regulariser: ETT!" --idea x --target y
check_eq "no second idea" "$(jq_py queues/idea_queue.json 'len(d)')" 1
check_eq "project.yaml not overwritten" "$(md5sum < $P/project.yaml)" "$sum"
check "--project-id" "$ROS" init-project --title "Other" --idea i --target t --project-id my.proj-2
check "made it" test -f research/my.proj-2/project.yaml
check_exit 2 "bad --project-id" "$ROS" init-project --title x --idea i --target t --project-id ../x
check_exit 2 "missing --target" "$ROS" init-project --title x --idea i
check "validate likes them" "$ROS" validate

check "a few runs" "$ROS" add-run --project-id my.proj-2 --command 'x {a}' --sweep a=1,2,3
check "project-status" "$ROS" project-status
check_match "shows both, my.proj-2 with its runs queued" "$OUT" "^my.proj-2  \[queued\]"
check_match "run counts" "$OUT" "runs: +3  pending 3"
check_match "idea counts" "$OUT" "ideas: +1  new 1"
check_eq "fits 80 columns" "$(printf '%s\n' "$OUT" | awk 'length > 80' | wc -l)" 0
check "project-status --json" "$ROS" project-status --json --project-id my.proj-2
check_eq "json" "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(len(d), d[0]["runs"], d[0]["title"])')" "1 {'pending': 3} Other"
printf '# Ask about PROJECT_TITLE\n' > templates/agents/deep_research_prompt.md
check "init-project with an edited template" "$ROS" init-project --title "Tpl" --idea i --target t
check_eq "uses it" "$(cat research/tpl/deep_research/request.md)" "# Ask about Tpl"
done_testing
