# SPDX-License-Identifier: MIT
"""The man pages of man/, README.md's option tables and the bash
completion, held to the binary: every command that "ssci --help" lists has
a page man/ssci-COMMAND.1 whose OPTIONS are exactly the options of
"ssci COMMAND --help" (names, arguments, short letters, simple defaults),
README.md names exactly those options too, mandoc's linter is silent on
every page and man renders each one, ssci.1 names every command, and
completion/ssci.bash completes commands, options, their files and
subcommands from the binary."""
import os
import re
import subprocess
import tempfile
import unittest

from harness import only_on

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MAN = os.path.join(ROOT, "man")
COMPLETION = os.path.join(ROOT, "completion", "ssci.bash")
SSCI = os.path.abspath(os.environ.get("SSCI_BIN") or
                       os.path.join(ROOT, "ssci"))
OPTION_LINE = re.compile(r"  (--[a-z0-9][a-z0-9-]*)(?: (\S+))?(?: {2,}(.*))?$")
def run(args, **kw):
    return subprocess.run(args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, **kw)


def commands():
    """The command names "ssci --help" lists, in its order."""
    out = run([SSCI, "--help"]).stdout
    listing = out.split("\ncommands:\n", 1)[1]
    return re.findall(r"^  ([a-z][a-z0-9-]*) ", listing, re.M)


def help_options(cmd):
    """{--name: {"arg", "text", "default", "short"}} of "ssci CMD --help"."""
    proc = run([SSCI, cmd, "--help"])
    assert proc.returncode == 0, f"ssci {cmd} --help: {proc.stderr}"
    opts, cur = {}, None
    for line in proc.stdout.split("\noptions:\n", 1)[1].splitlines():
        m = OPTION_LINE.match(line)
        if m:
            cur = m.group(1)
            opts[cur] = {"arg": m.group(2), "text": m.group(3) or ""}
        elif cur is not None and line.startswith(" " * 10):
            opts[cur]["text"] = (opts[cur]["text"] + " " +
                                 line.strip()).strip()
    for o in opts.values():
        d = re.search(r"\(default: (.*)\)$", o["text"])
        o["default"] = d.group(1) if d else None
        s = re.search(r"\(-([A-Za-z0-9])\)", o["text"])
        o["short"] = s.group(1) if s else None
    return opts


def sections(path):
    """{section name: its lines} of an mdoc page."""
    out, name = {}, None
    with open(path) as f:
        for line in f.read().splitlines():
            if line.startswith(".Sh "):
                name = line[4:].strip()
                out[name] = []
            elif name is not None:
                out[name].append(line)
    return out


def page_options(path):
    """{--name: {"arg", "short", "body"}}: each ".It Fl Fl name [Ar ARG]"
    of the page's OPTIONS section, with the text up to the next one."""
    opts, cur = {}, None
    for line in sections(path).get("OPTIONS", []):
        words = line.split()
        if line.startswith(".It ") and "Fl" in words:
            cur, short = None, None
            for i, w in enumerate(words[:-1]):
                if w != "Fl" or (i > 0 and words[i - 1] == "Fl"):
                    continue
                if words[i + 1] != "Fl":
                    short = words[i + 1]
                elif i + 2 < len(words):
                    cur = "--" + words[i + 2]
                    arg = (words[i + 4] if i + 4 < len(words) and
                           words[i + 3] == "Ar" else None)
                    opts[cur] = {"arg": arg, "short": short, "body": line}
                    short = None
        elif cur is not None:
            opts[cur]["body"] += "\n" + line
    return opts


def readme_options():
    """{command: set of --names} README.md gives it: the first column of
    the option tables of the sections whose heading names the command,
    the row of a command table that starts with "ssci COMMAND", and what
    the Commands section's opening says every command takes."""
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    part = text.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    intro, *secs = re.split(r"^### ", part, flags=re.M)
    common = set(re.findall(r"`(--[a-z0-9-]+)", intro))
    per = {}
    for sec in secs:
        heading, _, body = sec.partition("\n")
        names = [w.split()[0] for w in
                 re.findall(r"`(?:ssci )?([a-z][^`]*)`", heading)]
        table = None
        for line in body.splitlines():
            if not line.startswith("|"):
                table = None
                continue
            first = re.split(r"(?<!\\)\|", line)[1].strip()
            if table is None:
                table = first
                continue
            if first.startswith("---"):
                continue
            found = set(re.findall(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*)",
                                   first))
            if table == "option":
                for n in names:
                    per.setdefault(n, set()).update(found)
            elif table == "command":
                m = re.match(r"`ssci ([a-z]+)", first)
                if m:
                    per.setdefault(m.group(1), set()).update(found)
    return common, per, text


def differences(want, got):
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    return missing, extra


@only_on("sqlite", why="uses no dispatcher's store: once is enough")
class ManPages(unittest.TestCase):

    def setUp(self):
        self.commands = commands()
        self.assertIn("dispatcher", self.commands)

    def test_a_page_per_command_and_no_other(self):
        pages = {f[len("ssci-"):-len(".1")] for f in os.listdir(MAN)
                 if re.fullmatch(r"ssci-.+\.1", f)}
        missing, extra = differences(self.commands, pages)
        self.assertEqual(missing, [], "commands without man/ssci-CMD.1")
        self.assertEqual(extra, [], "pages of commands ssci does not have")

    def test_each_page_lists_exactly_the_help_options(self):
        problems = []
        for cmd in self.commands:
            path = os.path.join(MAN, f"ssci-{cmd}.1")
            if not os.path.exists(path):
                problems.append(f"{cmd}: no page")
                continue
            want, got = help_options(cmd), page_options(path)
            missing, extra = differences(want, got)
            if missing:
                problems.append(f"ssci-{cmd}.1 lacks {missing}")
            if extra:
                problems.append(f"ssci-{cmd}.1 has {extra}, which "
                                f"'ssci {cmd} --help' does not")
            for name in sorted(set(want) & set(got)):
                h, p = want[name], got[name]
                if h["arg"] != p["arg"]:
                    problems.append(f"ssci-{cmd}.1: {name} takes "
                                    f"{p['arg']}, --help says {h['arg']}")
                if h["short"] != p["short"]:
                    problems.append(f"ssci-{cmd}.1: {name}'s short option "
                                    f"is {p['short']}, --help says "
                                    f"{h['short']}")
                d = h["default"]
                if d and " " not in d and not re.search(
                        r"(?<![\w./-])" + re.escape(d) + r"(?![\w/-])",
                        p["body"]):
                    problems.append(f"ssci-{cmd}.1: {name} does not give "
                                    f"the default {d}")
        self.assertEqual(problems, [])

    def test_readme_names_exactly_the_help_options(self):
        common, per, text = readme_options()
        problems = []
        for cmd in self.commands:
            if f"`ssci {cmd}" not in text:
                problems.append(f"README.md never names `ssci {cmd}`")
            want = help_options(cmd)
            got = per.get(cmd, set()) | (common & set(want))
            missing, extra = differences(want, got)
            if missing:
                problems.append(f"README.md lacks {missing} of ssci {cmd}")
            if extra:
                problems.append(f"README.md gives ssci {cmd} {extra}, "
                                f"which its --help does not")
        self.assertEqual(problems, [])

    def test_ssci_1_names_every_command(self):
        secs = sections(os.path.join(MAN, "ssci.1"))
        listed = {line.split()[2] for line in secs["DESCRIPTION"]
                  if line.startswith(".It Cm ")}
        missing, extra = differences(self.commands, listed)
        self.assertEqual((missing, extra), ([], []),
                         "ssci.1's list of commands (missing, extra)")
        see = " ".join(secs["SEE ALSO"])
        self.assertEqual([c for c in self.commands
                          if f".Xr ssci-{c} 1" not in see], [],
                         "not in ssci.1's SEE ALSO")

    def pages(self):
        found = sorted(f for f in os.listdir(MAN)
                       if re.fullmatch(r"[a-z.-]+\.[1-8]", f))
        self.assertIn("ssci.1", found)
        self.assertIn("ssci.conf.5", found)
        return found

    def test_mandoc_lint_is_silent(self):
        problems = []
        for page in self.pages():
            proc = run(["mandoc", "-T", "lint", "-W", "warning", page],
                       cwd=MAN)
            # Said of the system's database, not of the page.
            lines = [line for line in (proc.stdout + proc.stderr)
                     .splitlines() if "outdated mandoc.db" not in line]
            if lines or proc.returncode != 0:
                problems.append(f"{page} (status {proc.returncode}): " +
                                "\n".join(lines))
        self.assertEqual(problems, [], "run scripts/deps test if mandoc "
                         "is missing")

    def test_every_page_renders(self):
        env = dict(os.environ, LC_ALL="C.UTF-8", MANROFFSEQ="",
                   MANWIDTH="80")
        for page in self.pages():
            path = os.path.join(MAN, page)
            name = page.rsplit(".", 1)[0]
            proc = run(["man", "--warnings", "-E", "UTF-8", "-l", path],
                       env=env)
            self.assertEqual((proc.returncode, proc.stderr), (0, ""), page)
            self.assertRegex(proc.stdout, r"NAME\s+" + re.escape(name) +
                             " ", page)
            proc = run(["mandoc", "-T", "utf8", path])
            self.assertEqual((proc.returncode, proc.stderr), (0, ""), page)
            self.assertIn("SEE ALSO", re.sub(".\x08", "", proc.stdout), page)


@only_on("sqlite", why="uses no dispatcher's store: once is enough")
class Completion(unittest.TestCase):
    """completion/ssci.bash in a real bash, as readline would call it."""

    def complete(self, *words):
        script = ('source "$1"; shift; COMP_WORDS=("$@"); '
                  'COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); '
                  'COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; _ssci; '
                  'printf "%s\\n" "${COMPREPLY[@]}"; complete -p ssci')
        proc = run(["bash", "--norc", "--noprofile", "-c", script, "bash",
                    COMPLETION, SSCI] + list(words))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        lines = proc.stdout.splitlines()
        self.assertEqual(lines[-1], "complete -F _ssci ssci")
        return [line for line in lines[:-1] if line]

    def test_commands(self):
        self.assertEqual(self.complete("disp"), ["dispatcher"])
        self.assertEqual(sorted(self.complete("")), sorted(commands()))
        self.assertEqual(self.complete("--vers"), ["--version"])

    def test_options(self):
        self.assertEqual(self.complete("dispatcher", "--sta"),
                         ["--state-dir"])
        self.assertEqual(self.complete("runner", "--"),
                         list(help_options("runner")))
        self.assertEqual(self.complete("log", "--fo"), ["--follow"])
        self.assertEqual(self.complete("dispatcher", "--port", ""), [])
        self.assertEqual(self.complete("notify", "--priority", ""),
                         ["high", "normal", "low"])
        self.assertEqual(self.complete("notify", "--priority", "h"),
                         ["high"])

    def test_file_and_directory_arguments(self):
        with tempfile.TemporaryDirectory() as tmp:
            os.mkdir(os.path.join(tmp, "dir1"))
            open(os.path.join(tmp, "file1"), "w").close()
            base = tmp + "/"
            self.assertEqual(sorted(self.complete(
                "dispatcher", "--token-file", base)),
                [base + "dir1", base + "file1"])
            self.assertEqual(self.complete("dispatcher", "--state-dir",
                                           base), [base + "dir1"])
            self.assertEqual(self.complete("dispatcher", "--state-dir",
                                           "=", base), [base + "dir1"])

    def test_subcommands(self):
        self.assertEqual(self.complete("hook", ""), ["install", "remove"])
        self.assertEqual(self.complete("hook", "re"), ["remove"])
        self.assertEqual(self.complete("quarantine", "--json", ""),
                         ["add", "remove", "list"])
        self.assertEqual(self.complete("secret", ""), ["set", "list", "rm"])
        self.assertEqual(self.complete("secret", "set", "--br"),
                         ["--branches"])
        self.assertEqual(self.complete("hook", "install", ""), [])


if __name__ == "__main__":
    unittest.main()
