#!/usr/bin/env python3
"""Checks that every project script and Gradle task the GitHub Actions workflows name exists.

For each `run:` of each workflow under .github/workflows (and each `script:` input of an action):
  - every `scripts/NAME.sh` and `.ci/run` named must exist, and each script must answer
    `bash scripts/NAME.sh --help` with exit status 0 (run here, from the repository root);
  - every Gradle task named on a `gradle` or `gradlew` command line (`-p DIR` picks the build,
    `:PROJECT:TASK` a project of it) must be declared by that project's build.gradle.kts
    (tasks.register, tasks.registering, tasks.named) or come from a plugin it applies: Gradle's
    own tasks, the Android Gradle Plugin's (for its build types and the androidTest variant),
    maven-publish's (for the repositories the file names) and the Gradle Maven Publish Plugin's.
    Gradle itself cannot run on a machine without the Android SDK, so the tasks are read from
    the build files.
Also: every `uses:` is pinned to a full commit SHA. Prints one line per problem and a summary;
exit status 1 when there is a problem.
"""

import argparse
import os
import re
import shlex
import subprocess
import sys

import yaml

GRADLE_BUILTIN = {"help", "tasks", "projects", "properties", "dependencies", "buildEnvironment",
                  "wrapper", "init", "build", "clean", "assemble", "check", "javaToolchains",
                  "outgoingVariants", "resolvableConfigurations", "dependencyInsight", "components",
                  "model", "updateDaemonJvm"}
# The Android Gradle Plugin's tasks for a build type or variant (Debug, Release, DebugAndroidTest).
AGP_PATTERNS = [r"assemble{V}", r"bundle{V}", r"build{V}", r"lint{V}", r"lint", r"test", r"test{V}UnitTest",
                r"connectedAndroidTest", r"connected{V}AndroidTest", r"connectedCheck", r"deviceCheck",
                r"install{V}", r"uninstall{V}", r"uninstallAll", r"bundle{V}Aar", r"sourceSets",
                r"signingReport", r"compile{V}Kotlin", r"minify{V}WithR8", r"generate{V}Sources"]
MAVEN_PUBLISH = [r"publish", r"publishToMavenLocal", r"publishAllPublicationsTo{R}Repository",
                 r"publish{P}PublicationTo{R}Repository", r"publish{P}PublicationToMavenLocal",
                 r"generatePomFileFor{P}Publication"]
VANNIKTECH = {"publishToMavenCentral", "publishAndReleaseToMavenCentral"}
SCRIPT_RE = re.compile(r"(?<![\w./-])((?:\./)?(?:scripts/[\w./-]+\.sh|\.ci/run))\b")
SHA_RE = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")


def run_texts(workflow):
    """(job, step label, text) of every run: and action script: of a workflow."""
    for job_id, job in (workflow.get("jobs") or {}).items():
        for i, step in enumerate(job.get("steps") or []):
            label = step.get("name") or step.get("uses") or f"step {i + 1}"
            if "run" in step:
                yield job_id, label, str(step["run"])
            script = (step.get("with") or {}).get("script")
            if script:
                yield job_id, label, str(script)


def uses_of(workflow):
    for job_id, job in (workflow.get("jobs") or {}).items():
        if "uses" in job:
            yield job_id, job["uses"]
        for step in job.get("steps") or []:
            if "uses" in step:
                yield job_id, step["uses"]


def commands(text):
    """Shell commands of a run: text, split on newlines (with backslash continuations), ;, && and ||."""
    joined = re.sub(r"\\\n", " ", text)
    for line in joined.splitlines():
        for part in re.split(r"&&|\|\||;|\|", line):
            part = part.strip()
            if part and not part.startswith("#"):
                yield part


def gradle_invocations(text):
    """[(project dir or None, [task, ...])] for each gradle/gradlew command of a run: text."""
    out = []
    for cmd in commands(text):
        try:
            words = shlex.split(cmd, comments=True)
        except ValueError:
            continue
        for k, w in enumerate(words):
            if os.path.basename(w) in ("gradle", "gradlew"):
                break
        else:
            continue
        args = words[k + 1:]
        project = os.path.dirname(words[k]) if words[k].endswith("gradlew") and "/" in words[k] else None
        tasks = []
        skip_value = False
        for a in args:
            if skip_value:
                skip_value = False
                continue
            if a in ("-p", "--project-dir"):
                skip_value = True
                project = args[args.index(a) + 1]
                continue
            if a.startswith("-"):
                if a in ("-x", "--exclude-task", "-b", "--build-file", "-c", "--settings-file", "-I", "--init-script"):
                    skip_value = True
                continue
            tasks.append(a)
        out.append((project, tasks))
    return out


def script_gradle_invocations(path):
    """gradle_invocations of a project script, whose Gradle command is "${gradle_cmd[@]}": the
    project directory is its -p, else the directory of the script's last `cd` before it (a
    variable resolved from its assignment)."""
    text = open(path, encoding="utf-8").read()
    joined = re.sub(r"\\\n", " ", text)
    assigned = dict(re.findall(r'(?m)^\s*(\w+)="\$REPO/([^"]+)"', joined))
    out, cwd = [], None
    for line in joined.splitlines():
        m = re.match(r'\s*cd\s+"?([^"\s;|&]+)"?', line)
        if m:
            target = m.group(1)
            var = re.fullmatch(r"\$\{?(\w+)\}?", target)
            if target in ("$REPO", "${REPO}"):
                cwd = None
            elif var and var.group(1) in assigned:
                cwd = assigned[var.group(1)]
            elif not target.startswith("$"):
                cwd = target
        if '"${gradle_cmd[@]}"' in line:
            for project, names in gradle_invocations(line.replace('"${gradle_cmd[@]}"', "gradle")):
                out.append((project or cwd, names))
    return out


def declared_tasks(kts_text):
    names = set(re.findall(r'tasks\.(?:register|named)(?:<[^>]*>)?\(\s*"([\w-]+)"', kts_text))
    names |= set(re.findall(r"val\s+(\w+)\s+by\s+tasks\.registering", kts_text))
    return names


def plugin_tasks(kts_text, settings_text=""):
    """The tasks that the plugins applied in a build file add, as regexes."""
    pats = set()
    android = "android.library" in kts_text or "android.application" in kts_text or "com.android." in kts_text
    if android:
        types = {"Debug", "Release"} | {t.capitalize() for t in re.findall(r"(?m)^\s*create\(\"(\w+)\"\)", kts_text)}
        variants = types | {t + "AndroidTest" for t in types} | {"DebugAndroidTest"}
        for p in AGP_PATTERNS:
            for v in variants:
                pats.add("^" + p.replace("{V}", v) + "$")
    if "maven-publish" in kts_text or "maven.publish" in kts_text:
        repos = {"Maven", "MavenCentral"} | {r[:1].upper() + r[1:] for r in re.findall(r'name\s*=\s*"(\w+)"', kts_text)}
        pubs = {"Maven", "Release"} | {p[:1].upper() + p[1:] for p in re.findall(r'register<MavenPublication>\("(\w+)"\)', kts_text)}
        for p in MAVEN_PUBLISH:
            for r in repos:
                for pub in pubs:
                    pats.add("^" + p.replace("{R}", r).replace("{P}", pub) + "$")
    if "maven.publish" in kts_text:  # libs.plugins.maven.publish: com.vanniktech.maven.publish
        pats |= {f"^{t}$" for t in VANNIKTECH}
    return pats


def check_task(root, project, task):
    """A problem string, or None."""
    project_dir = os.path.join(root, project or ".")
    path = task.lstrip(":").split(":")
    name, sub = path[-1], path[:-1]
    kts = os.path.join(project_dir, *sub, "build.gradle.kts")
    if not os.path.isfile(kts):
        return f"Gradle task {task}: no build file {os.path.relpath(kts, root)}"
    text = open(kts, encoding="utf-8").read()
    if name in GRADLE_BUILTIN or name in declared_tasks(text):
        return None
    if any(re.match(p, name) for p in plugin_tasks(text)):
        return None
    return f"Gradle task {task}: neither declared in {os.path.relpath(kts, root)} nor added by a plugin it applies"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    parser.add_argument("--workflows", help="the workflows folder (default: ROOT/.github/workflows)")
    args = parser.parse_args(argv)
    root = os.path.abspath(args.root)
    folder = args.workflows or os.path.join(root, ".github", "workflows")
    files = sorted(f for f in os.listdir(folder) if f.endswith((".yml", ".yaml")))
    problems, scripts, tasks, actions = [], {}, 0, 0
    for f in files:
        with open(os.path.join(folder, f), encoding="utf-8") as fh:
            wf = yaml.safe_load(fh)
        for job, label, text in run_texts(wf):
            where = f"{f}: job {job}, {label!r}"
            for m in SCRIPT_RE.finditer(text):
                scripts.setdefault(m.group(1).removeprefix("./"), []).append(where)
            for project, names in gradle_invocations(text):
                if not names:
                    problems.append(f"{where}: a gradle command without a task")
                for t in names:
                    tasks += 1
                    p = check_task(root, project, t)
                    if p:
                        problems.append(f"{where}: {p}")
        for job, uses in uses_of(wf):
            actions += 1
            if not uses.startswith("./") and not SHA_RE.match(uses):
                problems.append(f"{f}: job {job}: {uses} is not pinned to a commit SHA")
    for script, wheres in sorted(scripts.items()):
        path = os.path.join(root, script)
        if not os.path.isfile(path):
            problems.append(f"{wheres[0]}: {script} does not exist")
            continue
        if script.startswith("scripts/"):
            for project, names in script_gradle_invocations(path):
                for t in names:
                    tasks += 1
                    p = check_task(root, project, t)
                    if p:
                        problems.append(f"{wheres[0]}: {script}: {p}")
        if script.startswith("scripts/"):
            try:
                r = subprocess.run(["bash", path, "--help"], cwd=root, capture_output=True, text=True, timeout=120)
            except subprocess.TimeoutExpired:
                problems.append(f"{wheres[0]}: bash {script} --help did not finish in 120 s")
                continue
            if r.returncode != 0 or not r.stdout.strip():
                problems.append(f"{wheres[0]}: bash {script} --help exited {r.returncode} "
                                f"({(r.stderr or r.stdout).strip().splitlines()[-1:] or 'no output'})")
    for p in problems:
        print("problem:", p)
    print(f"workflows: {len(files)} files, {len(scripts)} scripts named (each answers --help), "
          f"{tasks} Gradle task names, {actions} actions pinned by SHA; {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
