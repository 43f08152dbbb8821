"""The retention run as lines for the command line: counts, then every entry by pseudonym or id."""

from __future__ import annotations


def report_lines(plan, done: dict | None) -> list[str]:
    data = plan.as_dict()
    head = "dry run, nothing deleted" if done is None else "deleted"
    lines = [f"school {plan.school_id}: {head}: " + ", ".join(f"{k} {v}" for k, v in (done or plan.counts()).items())]
    if plan.pending:
        lines.append("  not applied until an administrator saves the rules: " + ", ".join(plan.pending))
    for error in plan.refusals:
        lines.append(f"  refused {error.code}: {error.text('en')}")
    lines += [f"  leaver {u['user']} left {u['left_at']}" for u in data["leavers"]]
    lines += [f"  kept (frozen) {u}" for u in data["kept_frozen"]]
    lines += [f"  trash node {n['node']} (space {n['space']}) trashed {n['trashed_at']}" for n in data["trash"]]
    lines += [f"  link {link['link']} expired {link['expires_at']}" for link in data["links"]]
    lines += [f"  task record node {n['node']} (space {n['space']}) kept {n['kept_at']}" for n in data["task_records"]]
    if plan.keeps_task_records:
        lines.append("  task records of deleted teachers: kept while their task exists (no rule set)")
    if plan.task_records_held:
        lines.append(f"  task records kept because their task still accepts work: {plan.task_records_held}")
    return lines
