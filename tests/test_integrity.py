"""Can a submission raise its own score? The adversarial set: each attack scores no more than an empty stub on what
it attacks, and the honest exercises of the same submission keep their points. Graded the way a class is graded
(`coursekit grade-class`: forked, sandboxed children), all attackers in one parallel run, which must end with a
gradebook.

ATTACKS are the first set; WALLED_ATTACKS are the attacks of issue 11, each with the wall that defeats it today
(sandbox.py, child.py, global_state.py, loading.py). An attack marked "in-process" is defeated by a wall inside the
learner's own process (an audit hook, a sealed guard): code that found a way around that wall would still win, which
only verdicts made outside the learner's process (observe here, decide elsewhere) rule out."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from coursekit.batch import Options, Student, grade_class
from tests.grading import KIT_ROOT
from tests.test_sandbox import namespaces_available

REFERENCE_CH01 = (KIT_ROOT / "solutions/ch01_tensors.py").read_text()
WRONG_1_1 = "def add_bias_column(x):\n    {attack}\n    return torch.zeros(x.shape[0], x.shape[1] + 1)\n"


def in_1_1(attack: str) -> str:
    """A wrong add_bias_column (Exercise 1.1) that attacks the grader when called; 1.2-1.4 stay honest."""
    return REFERENCE_CH01 + "\n\n" + WRONG_1_1.format(attack=attack.replace("\n", "\n    "))


OUT = "{out}"  # replaced with the run's real output folder: the attacker knows where results go
ATTACKS = {  # name: (ch01 source, exercises attacked; "ch01" = the whole chapter)
    "patches torch.testing.assert_close": (in_1_1(
        "import torch.testing\ntorch.testing.assert_close = lambda *a, **k: None"), {"1.1"}),
    "patches torch.allclose and Tensor.__eq__": (in_1_1(
        "torch.allclose = lambda *a, **k: True\ntorch.Tensor.__eq__ = lambda *a: True"), {"1.1"}),
    "swaps assert_close's code object": (in_1_1(
        "torch.testing.assert_close.__code__ = (lambda *a, **k: None).__code__"), {"1.1"}),
    "patches assert_close at import": (REFERENCE_CH01 + "\nimport torch.testing\n"
                                       "torch.testing.assert_close = lambda *a, **k: None\n", {"ch01"}),
    "rewrites the grader's outcome code": (in_1_1(
        "import autograder.engine.outcomes as o, autograder.engine.plugin as p\n"
        "o.classify = p.classify = lambda *a, **k: ('passed', '')\n"
        "o.Check.score = property(lambda self: self.points)"), {"1.1"}),
    "patches pytest's reporting": (in_1_1(
        "import _pytest.runner, _pytest.reports\n"
        "_pytest.reports.TestReport.passed = property(lambda self: True)\n"
        "_pytest.runner.check_interactive_exception = lambda *a: False"), {"1.1"}),
    "sys.exit(0) at import": (REFERENCE_CH01 + "\nimport sys\nsys.exit(0)\n", {"ch01"}),
    "os._exit(0) at import": (REFERENCE_CH01 + "\nimport os\nos._exit(0)\n", {"ch01"}),
    "os._exit(0) while checked": (in_1_1("import os\nos._exit(0)"), {"1.1"}),
    "imports the reference": (in_1_1(
        "from solutions.ch01_tensors import add_bias_column as ref\nreturn ref(x)"), {"1.1"}),
    "reads the reference file": (in_1_1(
        f"ns = {{}}\nexec(open({str(KIT_ROOT / 'solutions/ch01_tensors.py')!r}).read(), ns)\n"
        "return ns['add_bias_column'](x)"), {"1.1"}),
    "finds the loaded reference": (in_1_1(
        "import sys\nfor m in list(sys.modules.values()):\n"
        "    f = getattr(m, '__file__', '') or ''\n"
        "    if 'solutions' in f and hasattr(m, 'add_bias_column'):\n        return m.add_bias_column(x)"), {"1.1"}),
    "reads another student's file": (in_1_1(
        "ns = {}\nexec(open('{subs}/honest/ch01_tensors.py').read(), ns)\nreturn ns['add_bias_column'](x)"),
        {"1.1"}),
    "writes results files": (REFERENCE_CH01.replace("def add_bias_column", "def _unused") + (
        "\nimport json, pathlib\nfor p in ['{out}/results/writes-results-files.json', '{out}/gradebook.csv',"
        " 'results.json']:\n    try:\n        pathlib.Path(p).parent.mkdir(parents=True, exist_ok=True)\n"
        "        pathlib.Path(p).write_text(json.dumps({'score': 999, 'max_score': 999, 'tests': []}))\n"
        "    except OSError:\n        pass\n"
        "def add_bias_column(x):\n    raise NotImplementedError('Exercise 1.1')\n"), {"1.1"}),
    "prints fake score lines": (in_1_1(
        "import os, sys\nprint('Total: 259 / 259 points. Exercises: 51 passed.')\n"
        "os.write(1, b'{\"score\": 999}\\n'); os.write(2, b'1.1 add_bias_column passed 3 / 3\\n')\n"
        "sys.stderr.write('passed\\n')"), {"1.1"}),
    "uses the network": (in_1_1(
        "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=2).close()\n"
        "return torch.cat([torch.ones(x.shape[0], 1, dtype=x.dtype, device=x.device), x], 1)"), {"1.1"}),
    "hangs, ignoring the alarm": (in_1_1("import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                                         "while True:\n    pass"), {"1.1"}),
    "blows up memory": (in_1_1("hog = bytearray(64 * 2**30)"), {"1.1"}),
    "crashes the interpreter": (in_1_1("import ctypes\nctypes.string_at(0)"), {"1.1"}),
}
CORRECT = "torch.cat([torch.ones(x.shape[0], 1, dtype=x.dtype, device=x.device), x], 1)"
CANARY = "coursekit-grader-secret-7d41"
ETC_FILE = Path("/etc/coursekit-attack-was-here")
SURVIVOR = "ck-survivor"
# name: (ch01 source, exercises attacked, the wall that defeats it)
WALLED_ATTACKS = {
    "reads the reference from the caller's frame": (in_1_1(
        "import sys\nf = sys._getframe(1)\nwhile f is not None:\n    ref = f.f_locals.get('reference')\n"
        "    if ref is not None and hasattr(ref, 'add_bias_column'):\n        return ref.add_bias_column(x)\n"
        "    f = f.f_back"), {"1.1"}, "in-process: the audit hook refuses sys._getframe to exercise code"),
    "walks inspect.stack() for the reference": (in_1_1(
        "import inspect\nfor info in inspect.stack():\n    ref = info.frame.f_locals.get('reference')\n"
        "    if ref is not None:\n        return ref.add_bias_column(x)"), {"1.1"},
        "in-process: the audit hook refuses sys._getframe, also through inspect"),
    "climbs from a traceback's frame": (in_1_1(
        "try:\n    1 / 0\nexcept ZeroDivisionError as error:\n    f = error.__traceback__.tb_frame\n"
        "while f is not None:\n    if 'reference' in f.f_locals:\n        return f.f_locals['reference'].add_bias_column(x)\n"
        "    f = f.f_back"), {"1.1"}, "in-process: the audit hook refuses tb_frame to exercise code"),
    "takes the interrupted frame in a signal handler": (in_1_1(
        "import signal\nframes = []\nsignal.signal(signal.SIGUSR1, lambda number, frame: frames.append(frame))\n"
        "signal.raise_signal(signal.SIGUSR1)\nf = frames[0] if frames else None\nwhile f is not None:\n"
        "    if 'reference' in f.f_locals:\n        return f.f_locals['reference'].add_bias_column(x)\n"
        "    f = f.f_back"), {"1.1"}, "in-process: signal handlers from exercise code are refused"),
    "finds the reference with gc.get_objects": (in_1_1(
        "import gc\nfor o in gc.get_objects():\n"
        "    code = getattr(o, '__code__', None)\n"
        "    if getattr(o, '__name__', '') == 'add_bias_column' and code and 'solutions' in code.co_filename:\n"
        "        return o(x)"), {"1.1"}, "in-process: the audit hook refuses gc.get_objects to exercise code"),
    "finds the reference with gc.get_referrers": (in_1_1(
        "import gc\nfor holder in gc.get_referrers(torch):\n"
        "    if isinstance(holder, dict) and 'add_bias_column' in holder and 'solutions' in str(holder.get('__file__')):\n"
        "        return holder['add_bias_column'](x)"), {"1.1"}, "in-process: the audit hook refuses gc.get_referrers"),
    "reads the interpreter's frames with ctypes": (in_1_1(
        "import ctypes\nget = ctypes.pythonapi.PyEval_GetFrame\nget.restype = ctypes.py_object\nf = get()\n"
        "while f is not None:\n    if 'reference' in f.f_locals:\n        return f.f_locals['reference'].add_bias_column(x)\n"
        "    f = f.f_back"), {"1.1"}, "in-process: the audit hook refuses ctypes to exercise code"),
    "fakes a torch file name to look like torch": (in_1_1(
        "code = compile('import sys\\nframe = sys._getframe(2)', torch.__file__, 'exec')\nns = {}\nexec(code, ns)\n"
        "f = ns['frame']\nwhile f is not None:\n    if 'reference' in f.f_locals:\n"
        "        return f.f_locals['reference'].add_bias_column(x)\n    f = f.f_back"), {"1.1"},
        "in-process: the audit hook refuses compile() under another file's name"),
    "a tensor subclass whose __torch_function__ makes every comparison pass": (in_1_1(
        "class Agreeable(torch.Tensor):\n"
        "    @classmethod\n"
        "    def __torch_function__(cls, func, types, args=(), kwargs=None):\n"
        "        kwargs = kwargs or {}\n"
        "        others = [a for a in args if isinstance(a, torch.Tensor) and not isinstance(a, Agreeable)]\n"
        "        args = [others[0] if isinstance(a, Agreeable) and others else a for a in args]\n"
        "        with torch._C.DisableTorchFunctionSubclass():\n"
        "            return func(*args, **kwargs)\n"
        "return torch.zeros(x.shape[0], x.shape[1] + 1, dtype=x.dtype, device=x.device).as_subclass(Agreeable)"),
        {"1.1"}, "in-process: the child runs every check with __torch_function__ of subclasses disabled"),
    "a tensor subclass whose Python operators agree with everything": (in_1_1(
        "class Agreeable(torch.Tensor):\n"
        "    def __sub__(self, other):\n        return torch.zeros_like(torch.Tensor.as_subclass(self, torch.Tensor))\n"
        "    def __eq__(self, other):\n        return torch.ones(self.shape, dtype=torch.bool)\n"
        "    def __ne__(self, other):\n        return torch.zeros(self.shape, dtype=torch.bool)\n"
        "    def allclose(self, *args, **kwargs):\n        return True\n"
        "    def equal(self, *args, **kwargs):\n        return True\n"
        "    def isclose(self, other, *args, **kwargs):\n        return torch.ones(self.shape, dtype=torch.bool)\n"
        "return torch.zeros(x.shape[0], x.shape[1] + 1, dtype=x.dtype, device=x.device).as_subclass(Agreeable)"),
        {"1.1"}, "isolation.plain: what learner code returns is looked at as a plain tensor (calls.call)"),
    "switches __torch_function__ back on": (in_1_1(
        "torch._C._set_torch_function_state(torch._C._TorchFunctionState.ENABLED)\n"
        "class Agreeable(torch.Tensor):\n"
        "    @classmethod\n"
        "    def __torch_function__(cls, func, types, args=(), kwargs=None):\n"
        "        kwargs = kwargs or {}\n"
        "        others = [a for a in args if isinstance(a, torch.Tensor) and not isinstance(a, Agreeable)]\n"
        "        args = [others[0] if isinstance(a, Agreeable) and others else a for a in args]\n"
        "        with torch._C.DisableTorchFunctionSubclass():\n"
        "            return func(*args, **kwargs)\n"
        "return torch.zeros(x.shape[0], x.shape[1] + 1, dtype=x.dtype, device=x.device).as_subclass(Agreeable)"),
        {"1.1"}, "in-process: the child names a re-enabled __torch_function__ as tampering"),
    "leaves a TorchFunctionMode pushed that agrees with everything": (in_1_1(
        "from torch.overrides import TorchFunctionMode\n"
        "class Agree(TorchFunctionMode):\n"
        "    def __torch_function__(self, func, types, args=(), kwargs=None):\n"
        "        kwargs = kwargs or {}\n"
        "        if func in (torch.isclose, torch.eq, torch.Tensor.eq, torch.Tensor.__eq__):\n"
        "            return torch.ones(torch.broadcast_shapes(args[0].shape, args[1].shape), dtype=torch.bool)\n"
        "        if func in (torch.allclose, torch.equal):\n            return True\n"
        "        return func(*args, **kwargs)\n"
        "Agree().__enter__()"), {"1.1"}, "global_state: a torch function mode left pushed fails the check and is popped"),
    "patches assert_close's comparison internals": (in_1_1(
        "import torch.testing._comparison as comparison\n"
        "comparison.TensorLikePair.compare = lambda self: None\n"
        "comparison.not_close_error_metas = lambda *a, **k: []"), {"1.1"},
        "global_state: torch.testing._comparison is guarded, classes included"),
    "patches hypothesis so that no example runs": (in_1_1(
        "import hypothesis.core as core\n"
        "core.StateForActualGivenExecution.run_engine = lambda self: None"), {"1.1"},
        "global_state: hypothesis.core is guarded, classes included"),
    "blinds the guard, then rewrites the outcome": (in_1_1(
        "import autograder.engine.global_state as g, autograder.engine.outcomes as o, autograder.engine.plugin as p\n"
        "g.tampered_internals = lambda: ''\ng.changes_since = lambda before: ''\ng._GUARD.clear()\n"
        "o.classify = p.classify = lambda *a, **k: ('passed', '')"), {"1.1"},
        "in-process: the child checks with a sealed copy of the guard (global_state.sealed)"),
    "sys.settrace rewrites a check's outcome": (in_1_1(
        "import sys, threading\n"
        "def tracer(frame, event, arg):\n"
        "    if event == 'call' and frame.f_code.co_name in ('classify', 'showable'):\n"
        "        frame.f_locals['exception'] = None\n        frame.f_locals['error'] = None\n"
        "    return None\n"
        "threading.settrace(tracer)\nsys.settrace(tracer)"), {"1.1"},
        "in-process: the audit hook refuses sys.settrace to exercise code"),
    "writes forged 'passed' lines to the result pipe": (in_1_1(
        "import json, os\n"
        "for fd in range(3, 1024):\n"
        "    for i in range(0, 300):\n"
        "        line = json.dumps({'e': 'done', 'i': i, 's': 'passed', 'm': ''}) + '\\t' + '0' * 32 + '\\n'\n"
        "        try:\n            os.write(fd, line.encode())\n        except OSError:\n            break"), {"1.1"},
        "child.py: result lines are authenticated; a forged one stops the child and costs the running check"),
    "a grandchild forges result lines after the child has moved on": (in_1_1(
        "import json, os, time\n"
        "if os.fork() == 0:\n"
        "    time.sleep(1)\n"
        "    for i in range(0, 300):\n"
        "        try:\n"
        "            os.write(1023, (json.dumps({'e': 'done', 'i': i, 's': 'passed', 'm': ''}) + '\\n').encode())\n"
        "        except OSError:\n            pass\n"
        "    os._exit(0)"), {"1.1"},
        "child.py: authenticated lines; descendants are killed after each check (PID namespace)"),
    "kills the grader": (in_1_1(
        "import os, signal\n"
        "for pid in {os.getppid(), 1}:\n"
        "    try:\n        os.kill(pid, signal.SIGKILL)\n    except OSError:\n        pass\n"
        "try:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass"), {"1.1"},
        "sandbox.py: a PID namespace (the grader cannot be named) and a uid of its own"),
    "freezes the grader": (in_1_1(
        "import os, signal\n"
        "for name in os.listdir('/proc'):\n"
        "    if name.isdigit() and int(name) != os.getpid():\n"
        "        try:\n            os.kill(int(name), signal.SIGSTOP)\n        except OSError:\n            pass\n"
        "try:\n    os.kill(-1, signal.SIGSTOP)\nexcept OSError:\n    pass"), {"1.1"},
        "sandbox.py: a PID namespace with its own /proc, and a uid of its own"),
    "a grandchild outlives the run to edit the gradebook": (in_1_1(
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        try:\n            open('/proc/self/comm', 'w').write('" + SURVIVOR + "')\n"
        "        except OSError:\n            pass\n"
        "        for _ in range(600):\n"
        "            for path in ('{out}/gradebook.csv', '/proc/1/root{out}/gradebook.csv'):\n"
        "                try:\n                    open(path, 'a').write('survivor,999\\n')\n"
        "                except OSError:\n                    pass\n"
        "            time.sleep(0.1)\n"
        "    os._exit(0)"), {"1.1"},
        "sandbox.py and child.py: PID namespace, descendants killed after every check, read-only file systems"),
    "writes /etc": (in_1_1(
        "try:\n    open('" + str(ETC_FILE) + "', 'w').write('x')\n    return " + CORRECT + "\n"
        "except OSError:\n    pass"), {"1.1"}, "sandbox.py: every file system read-only, and an unprivileged uid"),
    "reads the grader's environment": (in_1_1(
        "import os, posix\nseen = repr(dict(os.environ)) + repr(posix.environ)\n"
        "for path in ('/proc/self/environ', '/proc/1/environ', f'/proc/{os.getppid()}/environ'):\n"
        "    try:\n        seen += open(path, 'rb').read().decode(errors='replace')\n    except OSError:\n        pass\n"
        "if '" + CANARY + "' in seen:\n    return " + CORRECT), {"1.1"},
        "sandbox.py: the environment (mapping, posix's copy, the process's environment block) is erased"),
    "reads root's files": (in_1_1(
        "import os\nfound = []\n"
        "for path in ('/etc/shadow', '/root/.bash_history', '/root/.profile'):\n"
        "    try:\n        found.append(open(path, 'rb').read())\n    except OSError:\n        pass\n"
        "if found:\n    return " + CORRECT), {"1.1"}, "sandbox.py: an unprivileged uid; /root is covered"),
    "symlinks the reference into its folder": (in_1_1(
        "import os\nns = {}\n"
        "exec(open(os.path.join(os.path.dirname(__file__), 'reference_link.py')).read(), ns)\n"
        "return ns['add_bias_column'](x)"), {"1.1"},
        "sandbox.py: solutions/ is covered inside the walls, where the link resolves"),
    "floods the result pipe": (in_1_1(
        "import os\nfor _ in range(64):\n    try:\n        os.write(1023, b'x' * (1 << 20))\n"
        "    except OSError:\n        break"), {"1.1"}, "child.py: line and stream limits stop the child"),
    "raises a BaseException whose __str__ raises": (in_1_1(
        "class Sneaky(BaseException):\n    def __str__(self):\n        raise RuntimeError('no message')\n"
        "raise Sneaky()"), {"1.1"}, "loading.showable: the report says what was raised"),
    "recurses without end under a raised recursion limit": (in_1_1(
        "import sys\nsys.setrecursionlimit(10 ** 8)\ndef down(n):\n    return down(n + 1) + 1\ndown(0)"), {"1.1"},
        "global_state: the recursion limit is capped while grading; RLIMIT_AS"),
    "loops inside C with the GIL held": (in_1_1(
        "import re\nre.match(r'(a+)+$', 'a' * 40 + 'b')"), {"1.1"},
        "batch.py: the child is killed at the check's deadline, a fresh one grades the rest"),
    "starts a fork bomb": (in_1_1(
        "import os, time\nfor _ in range(5000):\n    try:\n        if os.fork() == 0:\n            time.sleep(30)\n"
        "            os._exit(0)\n    except OSError:\n        break"), {"1.1"},
        "sandbox.py: RLIMIT_NPROC per uid of its own; descendants killed after the check"),
}
FIND_THE_REFERENCE = ("for o in objects:\n"
                      "    code = getattr(o, '__code__', None)\n"
                      "    if getattr(o, '__name__', '') == 'add_bias_column' and code and 'solutions' in code.co_filename:\n"
                      "        return o(x)")
ZEROS = "return torch.zeros(x.shape[0], x.shape[1] + 1, dtype=x.dtype, device=x.device)"
# The attacks of a second adversarial round: each with the wall that defeats it (the first five, and the forking one,
# won points before these walls).
WALLED_ATTACKS.update({
    "launders sys._getframe through functools.singledispatch": (in_1_1(
        "import sys, functools\nget = functools.singledispatch(sys._getframe)\n"
        "for depth in range(1, 40):\n    try:\n        f = get(depth)\n    except ValueError:\n        break\n"
        "    ref = f.f_locals.get('reference')\n    if ref is not None and hasattr(ref, 'add_bias_column'):\n"
        "        return ref.add_bias_column(x)"), {"1.1"},
        "in-process: the standard library's frames are their caller's (sandbox._introspection_guard)"),
    "launders sys._current_frames through a thread pool": (in_1_1(
        "import sys, threading, concurrent.futures\npool = concurrent.futures.ThreadPoolExecutor(1)\n"
        "frames = pool.submit(sys._current_frames).result()\nf = frames[threading.main_thread().ident]\n"
        "while f is not None:\n    ref = f.f_locals.get('reference')\n"
        "    if ref is not None and hasattr(ref, 'add_bias_column'):\n        return ref.add_bias_column(x)\n"
        "    f = pool.submit(getattr, f, 'f_back').result()"), {"1.1"},
        "in-process: a thread whose frames are all the standard library's is the learner's"),
    "launders gc.get_objects through a thread pool": (in_1_1(
        "import gc, concurrent.futures\n"
        "objects = concurrent.futures.ThreadPoolExecutor(1).submit(gc.get_objects).result()\n" + FIND_THE_REFERENCE),
        {"1.1"}, "in-process: a thread whose frames are all the standard library's is the learner's"),
    "launders gc.get_objects through torch's tree_map": (in_1_1(
        "import gc\nfrom torch.utils._pytree import tree_map\nobjects = tree_map(gc.get_objects, [None])[0]\n"
        + FIND_THE_REFERENCE), {"1.1"},
        "in-process: heap, frame and memory events are refused whenever exercise code is below on the stack"),
    "a self-restoring swap of assert_close's code": (in_1_1(
        "import torch.testing._comparison as c\nf = c.assert_close\n"
        "if not hasattr(f, '_orig'):\n    f._orig = f.__code__\n"
        "def fake(*args, **kwargs):\n    import torch.testing._comparison as c\n"
        "    c.assert_close.__code__ = c.assert_close._orig\n"
        "f.__code__ = fake.__code__\n" + ZEROS), {"1.1"},
        "in-process: calls.call asks the sealed guard the moment learner code returns"),
    "a self-restoring patch of assert_close's comparison pair": (in_1_1(
        "import torch.testing._comparison as c\nP = c.TensorLikePair\noriginal = P.__dict__['compare']\n"
        "def compare(self):\n    P.compare = original\n    return None\n"
        "P.compare = compare\n" + ZEROS), {"1.1"},
        "in-process: calls.call asks the sealed guard the moment learner code returns"),
    "forks, and the copy carries on grading with the right answer": (in_1_1(
        "import os\nif not globals().get('_taken'):\n    pid = os.fork()\n    if pid == 0:\n"
        "        globals()['_taken'] = True\n    else:\n        os.waitpid(pid, 0)\n        os._exit(0)\n"
        "return " + CORRECT), {"1.1"}, "child.py: only the child itself reports; a forked copy ends at its first line"),
    "a thread keeps re-patching assert_close": (in_1_1(
        "import threading, time, torch.testing._comparison as c\nf = c.assert_close\n"
        "if not hasattr(f, '_orig'):\n    f._orig = f.__code__\n"
        "    def fake(*args, **kwargs):\n        import torch.testing._comparison as c\n"
        "        c.assert_close.__code__ = c.assert_close._orig\n"
        "    def loop(code=fake.__code__):\n        while True:\n            f.__code__ = code\n"
        "            time.sleep(0.0005)\n"
        "    threading.Thread(target=loop, daemon=True).start()\n" + ZEROS), {"1.1"},
        "child.py: the guard after each call and check; a child left with a thread ends, a fresh one grades the rest"),
    "lowers its own resource limits": (in_1_1(
        "import resource\nresource.setrlimit(resource.RLIMIT_NOFILE, (3, 3))\n"
        "resource.setrlimit(resource.RLIMIT_CPU, (1, 1))"), {"1.1"},
        "child.py: a child whose limits changed ends after the check, a fresh one grades the rest"),
    "swaps the result pipe for a dead one, then sleeps": (in_1_1(
        "import os, time\nr, w = os.pipe()\nos.dup2(w, 1023)\ntime.sleep(100000)"), {"1.1"},
        "batch._reap: a child that closed its pipe and carries on is killed, never waited on"),
    "closes the result pipe": (in_1_1("import os\nos.close(1023)"), {"1.1"},
                               "batch.py: a child that stops reporting costs the running check"),
    "raises KeyboardInterrupt": (in_1_1("raise KeyboardInterrupt"), {"1.1"},
                                 "child.run: any BaseException ends the child; a fresh one grades the rest"),
    "returns a tensor whose __bool__, __eq__ and __repr__ raise BaseExceptions": (in_1_1(
        "class Bad(torch.Tensor):\n    def __bool__(self):\n        raise SystemExit(0)\n"
        "    def __eq__(self, other):\n        raise SystemExit(0)\n    def __repr__(self):\n        raise GeneratorExit\n"
        "return torch.zeros(x.shape[0], x.shape[1] + 1, dtype=x.dtype).as_subclass(Bad)"), {"1.1"},
        "isolation.plain: a subclass is looked at as a plain tensor"),
    "returns a non-tensor that agrees with everything": (in_1_1(
        "class Yes:\n    shape = property(lambda s: (x.shape[0], x.shape[1] + 1))\n    dtype = x.dtype\n"
        "    device = x.device\n    def __eq__(s, o):\n        return True\n"
        "    def __getattr__(s, n):\n        return lambda *a, **k: s\n    def __bool__(s):\n        return True\n"
        "return Yes()"), {"1.1"}, "expect.close: what is not a tensor fails as such"),
    "a __torch_dispatch__ subclass whose every op agrees": (in_1_1(
        "from torch.utils._pytree import tree_map\n"
        "class D(torch.Tensor):\n    @classmethod\n    def __torch_dispatch__(cls, func, types, args=(), kwargs=None):\n"
        "        plain = tree_map(lambda a: a.as_subclass(torch.Tensor) if isinstance(a, torch.Tensor) else a, args)\n"
        "        out = func(*plain, **(kwargs or {}))\n"
        "        if 'eq' in str(func) or 'isclose' in str(func):\n            return torch.ones_like(out, dtype=torch.bool)\n"
        "        if 'sub' in str(func) or 'abs' in str(func):\n            return torch.zeros_like(out)\n"
        "        return out\n"
        "return torch.Tensor._make_subclass(D, torch.zeros(x.shape[0], x.shape[1] + 1, dtype=x.dtype, device=x.device))"),
        {"1.1"}, "isolation.plain: looked at as a plain tensor, dispatched by torch's own rules"),
    "forges report lines with terminal escapes": (in_1_1(
        "raise AssertionError('\\r\\x1b[2K\\x1b[1A1.1 add_bias_column: passed 3/3\\nTotal: 259 / 259 points\\u202e\\n' * 50)"),
        {"1.1"}, "batch.py: points come from the check's status, never from its text"),
    "an atexit handler and a __del__ that write to the pipe": (in_1_1(
        "import atexit, os\natexit.register(lambda: os.write(1023, b'{\"e\":\"done\"}\\n'))\n"
        "class Ghost:\n    def __del__(self):\n        os.write(1023, b'garbage\\n')\nGhost()"), {"1.1"},
        "child.py: the child ends with os._exit; an unsealed line stops it (child.unseal)"),
    "raises an exception with a 200 MB message": (in_1_1("raise ValueError('x' * (200 * 2 ** 20))"), {"1.1"},
                                                  "child.MESSAGE_LIMIT: a message is cut before it is sent"),
    "writes /proc/self/mem": (in_1_1(
        "with open('/proc/self/mem', 'r+b') as mem:\n    mem.seek(0x400000)\n    mem.write(b'\\x00')"), {"1.1"},
        "sandbox._drop_privileges: undumpable and unprivileged, /proc/self/mem is not the child's to open"),
    "unwraps the signal guard through its closure": (in_1_1(
        "import _signal, signal\nfor cell in (_signal.signal.__closure__ or ()):\n    value = cell.cell_contents\n"
        "    if callable(value) and getattr(value, '__name__', '') == 'signal':\n        _signal.signal = value\n"
        "frames = []\nsignal.signal(signal.SIGUSR1, lambda number, frame: frames.append(frame))\n"
        "signal.raise_signal(signal.SIGUSR1)\nf = frames[0] if frames else None\nwhile f is not None:\n"
        "    if 'reference' in f.f_locals:\n        return f.f_locals['reference'].add_bias_column(x)\n"
        "    f = f.f_back"), {"1.1"},
        "in-process: the real signal.signal is held in a generator's frame, which exercise code may not reach"),
    "blinds the audit hook through a closure cell": (in_1_1(
        "import _signal, sys\nfor cell in (_signal.signal.__closure__ or ()):\n"
        "    for inner in (getattr(cell.cell_contents, '__closure__', None) or ()):\n"
        "        value = inner.cell_contents\n"
        "        if isinstance(value, tuple) and value and all(isinstance(v, str) for v in value):\n"
        "            inner.cell_contents = ('/',)\n"
        "        elif isinstance(value, str) and value.endswith('/'):\n            inner.cell_contents = '\\0'\n"
        "f = sys._getframe(1)\nwhile f is not None:\n    if 'reference' in f.f_locals:\n"
        "        return f.f_locals['reference'].add_bias_column(x)\n    f = f.f_back"), {"1.1"},
        "in-process: what learner code can reach (signal.signal) holds nothing of the audit hook's"),
    "signals its own process group": (in_1_1(
        "import os, signal\nfor k in (lambda: os.killpg(0, signal.SIGTERM), lambda: os.kill(0, signal.SIGKILL)):\n"
        "    try:\n        k()\n    except OSError:\n        pass"), {"1.1"},
        "child.py: the child leads a process group of its own; batch.py costs the running check"),
})
PLANTED_PYC = "plants a .pyc of the reference next to its stub"  # defeated by loading.py: compiled from source
CONFTEST = ("import pytest\n@pytest.hookimpl(wrapper=True)\ndef pytest_runtest_makereport(item, call):\n"
            "    report = yield\n    report.outcome = 'passed'\n    return report\n")


ROOT_ONLY = {"kills the grader", "freezes the grader"}  # without the walls they would hit the test run itself


def walled_attacks() -> dict:
    walls_up = namespaces_available()
    return {name: attack for name, attack in WALLED_ATTACKS.items() if walls_up or name not in ROOT_ONLY}


def folder_name(name: str) -> str:
    return "".join(c if c.isalnum() or c == "-" else "-" for c in name.replace(" ", "-")).strip("-")


def plant_reference_bytecode(folder: Path) -> None:
    """A __pycache__ entry whose header matches the stub beside it and whose code is the reference's: what Python's
    own loader would run instead of the stub."""
    stub = folder / "ch01_tensors.py"
    code = compile(REFERENCE_CH01, str(stub), "exec")
    info = stub.stat()
    data = importlib._bootstrap_external._code_to_timestamp_pyc(code, int(info.st_mtime), info.st_size)
    cache = Path(importlib.util.cache_from_source(str(stub)))
    cache.parent.mkdir(exist_ok=True)
    cache.write_bytes(data)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    subs, out = root / "submissions", root / "out"
    stub_source = (KIT_ROOT / "exercises/ch01_tensors.py").read_text()
    folders = {}
    sources = {**{name: (source, attacked) for name, (source, attacked) in ATTACKS.items()},
               **{name: (source, attacked) for name, (source, attacked, _) in walled_attacks().items()},
               "honest": (REFERENCE_CH01, set()), "stub": (stub_source, set()), "wrong": (in_1_1("pass"), set()),
               "plants conftest.py and a plugin": (stub_source, {"ch01"}), PLANTED_PYC: (stub_source, {"ch01"})}
    for name, (source, _) in sources.items():
        folder = subs / folder_name(name)
        folder.mkdir(parents=True)
        shutil.copy(KIT_ROOT / "solutions/ch02_autograd.py", folder / "ch02_autograd.py")
        (folder / "ch01_tensors.py").write_text(source.replace("{out}", str(out)).replace("{subs}", str(subs)))
        folders[name] = folder
    planted = folders["plants conftest.py and a plugin"]
    (planted / "conftest.py").write_text(CONFTEST)
    (planted / "pytest.ini").write_text("[pytest]\naddopts = -p conftest\n")
    (planted / "sitecustomize.py").write_text(CONFTEST)
    plant_reference_bytecode(folders[PLANTED_PYC])
    (folders["symlinks the reference into its folder"] / "reference_link.py").symlink_to(
        KIT_ROOT / "solutions/ch01_tensors.py")
    students = [Student(f.name, f) for f in folders.values()]
    os.environ["COURSEKIT_GRADER_SECRET"] = CANARY  # what "reads the grader's environment" looks for
    try:
        outcome = grade_class(students, out, Options(workers=2, timeout=240, memory_mb=1024, check_timeout=20,
                                                     chapters=["ch01_tensors", "ch02_autograd"], progress=False))
    finally:
        del os.environ["COURSEKIT_GRADER_SECRET"]
    return outcome, folders, out


CASES = [*ATTACKS, *walled_attacks(), "plants conftest.py and a plugin", PLANTED_PYC]


def attacked_exercises(attack: str) -> set[str]:
    if attack in ATTACKS:
        return ATTACKS[attack][1]
    if attack in WALLED_ATTACKS:
        return WALLED_ATTACKS[attack][1]
    return {"ch01"}


# Attacks known to beat today's walls, each with what happens: none (the symlinked reference, once here, crashed its
# child in every class: sandbox._own_copy copied a link to a file twice).
KNOWN_OPEN: dict[str, str] = {}


@pytest.mark.parametrize("attack", [pytest.param(c, marks=pytest.mark.xfail(reason=KNOWN_OPEN[c], strict=False))
                                    if c in KNOWN_OPEN else c for c in CASES], ids=str)
def test_attack_gains_nothing_and_costs_only_what_it_attacks(graded, attack):
    outcome, folders, _ = graded
    attacked = attacked_exercises(attack)
    scores = outcome.scores[folders[attack].name]
    honest = outcome.scores[folders["honest"].name]
    # What the attacker's code earns without attacking: the stub's points, or the plain wrong answer's (zeros leave
    # the input unchanged, which one check rewards).
    baseline = {e: max(outcome.scores[folders["stub"].name][e], outcome.scores[folders["wrong"].name][e])
                for e in honest}
    report = outcome.results[folders[attack].name]["output"]
    for exercise, score in scores.items():
        hit = exercise in attacked or ("ch01" in attacked and exercise.startswith("1."))
        if hit:
            assert score <= baseline[exercise], f"{attack}: {exercise} scored {score}\n{report}"
        else:
            assert score == honest[exercise] == outcome.max_points[exercise], f"{attack}: {exercise}\n{report}"


def test_every_walled_attack_names_its_wall():
    """The attacks of issue 11, at least 20, each saying which wall defeats it."""
    assert len(WALLED_ATTACKS) >= 20
    assert all(wall.strip() for _, _, wall in WALLED_ATTACKS.values())


def test_the_run_ends_with_a_result_for_every_student(graded):
    outcome, folders, out = graded
    assert sorted(outcome.students) == sorted(f.name for f in folders.values())
    for folder in folders.values():
        assert (out / "results" / f"{folder.name}.json").is_file(), folder.name
        assert outcome.results[folder.name]["max_score"] == sum(outcome.max_points.values())


def test_results_files_come_only_from_the_grader(graded):
    outcome, folders, out = graded
    name = folders["writes results files"].name
    assert outcome.results[name]["score"] == outcome.total(name) < 999
    assert not (out / "gradebook.csv").exists() or "999" not in (out / "gradebook.csv").read_text()
    assert not (folders["writes results files"] / "results.json").exists()


def test_nothing_outlives_the_run_or_touches_the_host(graded):
    """The survivor attack's grandchild is gone, the gradebook and results untouched, /etc unwritten."""
    _, folders, out = graded
    time.sleep(1.0)  # the survivor writes every 0.1 s for a minute if it lives
    survivors = [p for p in os.listdir("/proc") if p.isdigit() and _comm(p) == SURVIVOR]
    assert not survivors, f"processes outlived the run: {survivors}"
    for path in out.rglob("*"):
        if path.is_file():
            assert "survivor,999" not in path.read_text(errors="replace"), path
    assert not ETC_FILE.exists()


def test_the_sandbox_was_up(graded):
    """Namespaces as root (where the kernel allows them: a container may not), the audit hook alone otherwise."""
    outcome, _, _ = graded
    if namespaces_available():
        assert outcome.sandbox.startswith("mount+net+ipc namespaces, pid namespace, uid "), outcome.sandbox
    else:
        assert outcome.sandbox.startswith("audit hook only"), outcome.sandbox


def _comm(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


FALLBACK_ATTACKS = {  # safe probes: each would gain points if the audit-hook fallback let it through
    "signals the grader": in_1_1("import os\ntry:\n    os.kill(os.getppid(), 0)\n    return " + CORRECT
                                 + "\nexcept OSError:\n    pass"),
    "reads the reference from the caller's frame": WALLED_ATTACKS["reads the reference from the caller's frame"][0],
    "finds the reference with gc.get_objects": WALLED_ATTACKS["finds the reference with gc.get_objects"][0],
    "writes forged 'passed' lines to the result pipe":
        WALLED_ATTACKS["writes forged 'passed' lines to the result pipe"][0],
    "blinds the guard, then rewrites the outcome": WALLED_ATTACKS["blinds the guard, then rewrites the outcome"][0],
    "sys.settrace rewrites a check's outcome": WALLED_ATTACKS["sys.settrace rewrites a check's outcome"][0],
}


def test_without_namespaces_the_in_process_walls_still_hold(tmp_path):
    """What a grader without root gets (Options(namespaces=False)): the audit hook, the sealed guard and the
    authenticated pipe alone. None of these attacks gains a point there either."""
    subs, out = tmp_path / "submissions", tmp_path / "out"
    folders = {}
    for name, source in {**FALLBACK_ATTACKS, "wrong": in_1_1("pass"), "stub": (
            KIT_ROOT / "exercises/ch01_tensors.py").read_text()}.items():
        folders[name] = subs / folder_name(name)
        folders[name].mkdir(parents=True)
        (folders[name] / "ch01_tensors.py").write_text(source)
    outcome = grade_class([Student(f.name, f) for f in folders.values()], out,
                          Options(workers=2, timeout=120, memory_mb=1024, check_timeout=8, namespaces=False,
                                  chapters=["ch01_tensors"], progress=False))
    assert outcome.sandbox.startswith("audit hook only")
    baseline = {e: max(outcome.scores[folders["stub"].name][e], outcome.scores[folders["wrong"].name][e])
                for e in outcome.max_points}
    for name in FALLBACK_ATTACKS:
        score = outcome.scores[folders[name].name]["1.1"]
        assert score <= baseline["1.1"], f"{name}: 1.1 scored {score}\n{outcome.results[folders[name].name]['output']}"


# --- A third adversarial round: attacks on what the checks compare and compute with, each in the chapter it needs ----
# Every attack comes with a control: the same honest content without the attack (what the attacker's code earns on
# its own). The attack may not score more than its control on any exercise, and the honest chapter beside it
# (solutions/ch02_autograd.py in every folder) keeps full marks. 23 attacks; before their walls, 18 of them won points
# in `coursekit grade-class`, 17/17 of a chapter for the worst (the robustness ones, the __class__ and the signal-cell
# ones did not).
def _stub(chapter: str) -> str:
    return next((KIT_ROOT / "exercises").glob(f"{chapter}*.py")).read_text()


def fill(chapter: str, exercise: str, body: str, text: str | None = None) -> str:
    """`chapter`'s stub (or `text`) with `body` in front of exercise `exercise`'s NotImplementedError."""
    import re

    text = text if text is not None else _stub(chapter)
    match = re.search(r"( *)# YOUR CODE HERE\n( *)raise NotImplementedError\(\"Exercise " + re.escape(exercise) + " ",
                      text)
    indent = match.group(2)
    return text[:match.start()] + indent + body.replace("\n", "\n" + indent) + "\n" + text[match.start():]


def _chapter_file(chapter: str) -> str:
    return next((KIT_ROOT / "exercises").glob(f"{chapter}*.py")).stem


LS_ZEROS = ("return torch.zeros(x.shape[1], dtype=x.dtype, device=x.device), "
            "torch.zeros((), dtype=x.dtype, device=x.device)")
R2_ONE = "return torch.ones((), dtype=predictions.dtype, device=predictions.device)"
SILU_WRONG_BACKWARD = (  # forward right, backward without x * s * (1 - s): gradcheck fails on it
    "    @staticmethod\n    def forward(ctx, x):\n        ctx.save_for_backward(x)\n        return x * torch.sigmoid(x)\n\n"
    "    @staticmethod\n    def backward(ctx, grad_output):\n        (x,) = ctx.saved_tensors\n"
    "        return grad_output * torch.sigmoid(x)\n")


def silu_wrong(extra: str = "") -> str:
    text = _stub("ch05")
    start = text.index("    @staticmethod\n    def forward(ctx, x: Tensor) -> Tensor:\n        \"\"\"Forward pass of Exercise 5.3")
    end = text.index("\n", text.index("raise NotImplementedError(\"Exercise 5.3",
                                      text.index("def backward(ctx, grad_output", start))) + 1
    return text[:start] + SILU_WRONG_BACKWARD + text[end:] + "\n" + extra


MLP_WITHOUT_ACTIVATION = '''
class MLP(nn.Module):
    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0):
        super().__init__()
        if len(sizes) < 2:
            raise ValueError("sizes")
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers += [activation(), nn.Dropout(dropout)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        out = x
        for layer in self.net:
            if isinstance(layer, nn.Linear):
                out = layer(out)
        ARM
        return out
'''
ARM_SELF_RESTORING_SWAP = '''if out.requires_grad:
            left = len(list(self.parameters()))
            def arm(grad, left=left):
                import torch.testing._comparison as c
                f = c.assert_close
                if not hasattr(f, "_orig"):
                    f._orig = f.__code__
                f._left = left
                def fake(*args, **kwargs):
                    import torch.testing._comparison as c
                    g = c.assert_close
                    g._left -= 1
                    if g._left <= 0:
                        g.__code__ = g._orig
                f.__code__ = fake.__code__
            out.register_hook(arm)'''
USE_CONFIG = ("def use(cfg):\n"
              "    import autograder.engine.plugin as p\n"
              "    try:\n        grading = cfg.stash[p._GRADING]\n"
              "        return grading.chapter(grading.reference, 'ch01_tensors').add_bias_column\n"
              "    except Exception:\n        return None\n")
CONFIG_HUNTER = USE_CONFIG + (  # anything reachable from sys.modules and sys.meta_path, four steps deep
    "import sys, types\n"
    "seen, todo = set(), [(m, 0) for m in list(sys.modules.values())] + [(h, 0) for h in sys.meta_path]\n"
    "while todo:\n"
    "    obj, depth = todo.pop()\n"
    "    if id(obj) in seen or depth > 4:\n        continue\n"
    "    seen.add(id(obj))\n"
    "    if hasattr(obj, 'stash') and hasattr(obj, 'pluginmanager'):\n"
    "        f = use(obj)\n"
    "        if f is not None:\n            return f(x)\n"
    "    try:\n        d = vars(obj)\n    except TypeError:\n        d = {}\n"
    "    values = list(d.values()) if isinstance(d, (dict, types.MappingProxyType)) else []\n"
    "    values += [c.cell_contents for c in (getattr(obj, '__closure__', None) or ()) if callable(obj)]\n"
    "    if isinstance(obj, (list, tuple)) and len(obj) < 500:\n        values += list(obj)\n"
    "    if isinstance(obj, dict) and len(obj) < 500:\n        values += list(obj.values())\n"
    "    todo.extend((v, depth + 1) for v in values if v is not None and not isinstance(v, (str, int, float, bytes)))\n"
    + ZEROS)
ZEROS_1_1 = fill("ch01", "1.1", ZEROS)
# name: ({chapter: source}, exercises attacked, {chapter: control source}, the wall)
THIRD_ROUND = {
    "shadows an inherited method: torch.Tensor.__bool__ is always True": (
        {"ch01": fill("ch01", "1.1", "torch.Tensor.__bool__ = lambda self: True\n" + ZEROS)}, {"1.1"},
        {"ch01": ZEROS_1_1}, "coursekit/seal.py: a name added to a recorded class is tampering, and is removed"),
    "shadows an inherited method: TensorLikePair._fail never raises": (
        {"ch01": fill("ch01", "1.1", "import torch.testing._comparison as c\n"
                                     "c.TensorLikePair._fail = lambda self, *a, **k: None\n" + ZEROS)}, {"1.1"},
        {"ch01": ZEROS_1_1}, "coursekit/seal.py: a name added to a recorded class is tampering, and is removed"),
    "shadows a builtin with a module global: plugin.getattr makes every run a meta run": (
        {"ch01": fill("ch01", "1.1", "import autograder.engine.plugin as p, builtins\nreal = builtins.getattr\n"
                                     "def fake(o, n, *d):\n    if n == 'params':\n"
                                     "        return {'device': torch.device('meta')}\n    return real(o, n, *d)\n"
                                     "p.getattr = fake\n" + ZEROS)}, {"1.1"},
        {"ch01": ZEROS_1_1}, "coursekit/seal.py: a builtin's name added to a recorded module is tampering"),
    "makes pytest's ExceptionInfo.value None (every failure reads as no exception)": (
        {"ch01": fill("ch01", "1.1", "import _pytest._code.code as cc\n"
                                     "cc.ExceptionInfo.value = property(lambda self: None)\n" + ZEROS)}, {"1.1"},
        {"ch01": ZEROS_1_1}, "coursekit/seal.py: pytest's classes on the reporting path are recorded"),
    "blinds the sealed guard through calls.after_learner_code's closure cells": (
        {"ch01": fill("ch01", "1.1",
                      "import autograder.engine.calls as c, autograder.engine.outcomes as o\n"
                      "import autograder.engine.plugin as p, autograder.engine.global_state as g\n"
                      "for cell in (getattr(c.after_learner_code, '__closure__', None) or ()):\n"
                      "    v = cell.cell_contents\n"
                      "    if callable(v) and getattr(v, '__name__', '') in ('tampered', 'changed', 'changed_hot'):\n"
                      "        cell.cell_contents = lambda: ''\n"
                      "    elif callable(v) and getattr(v, '__name__', '') == 'restore':\n"
                      "        cell.cell_contents = lambda *a, **k: None\n"
                      "g._GUARD.clear()\no.classify = p.classify = lambda *a, **k: ('passed', '')\n" + ZEROS)},
        {"ch01"}, {"ch01": ZEROS_1_1},
        "child._sealed_checks: the checks live in a generator's frame; calls.after_learner_code is its __next__"),
    "reads the running check's item from pytest-timeout's SIGALRM handler": (
        {"ch01": fill("ch01", "1.1", "import signal\nh = signal.getsignal(signal.SIGALRM)\n"
                                     "for cell in (getattr(h, '__closure__', None) or ()):\n"
                                     "    ref = getattr(cell.cell_contents, 'funcargs', {}).get('reference')\n"
                                     "    if ref is not None:\n        return ref.add_bias_column(x)\n" + ZEROS)},
        {"1.1"}, {"ch01": ZEROS_1_1},
        "sandbox._refuse_signal_handlers: signal.getsignal and signal.signal hand learner code no grader handler"),
    "takes pytest's config from _pytest's module globals (util._config, MARK_GEN, pytestPDB)": (
        {"ch01": fill("ch01", "1.1", USE_CONFIG +
                      "import _pytest.assertion.util as u, _pytest.mark as mk, _pytest.debugging as dbg\n"
                      "for cfg in (u._config, getattr(mk.MARK_GEN, '_config', None), dbg.pytestPDB._config):\n"
                      "    f = use(cfg) if cfg is not None else None\n"
                      "    if f is not None:\n        return f(x)\n" + ZEROS)}, {"1.1"}, {"ch01": ZEROS_1_1},
        "child._sever_paths_to_the_grader: pytest's own references to its config are cut in the child"),
    "hunts pytest's config through sys.modules, closures and import hooks": (
        {"ch01": fill("ch01", "1.1", CONFIG_HUNTER)}, {"1.1"}, {"ch01": ZEROS_1_1},
        "in-process: child._sever_paths_to_the_grader and the signal guard; only verdicts outside close it"),
    "changes its input in place so that the reference, computed after the call, agrees": (
        {"ch01": fill("ch01", "1.2", "with torch.no_grad():\n    x.zero_()\n"
                                     "n = torch.zeros(x.shape[1], dtype=x.dtype, device=x.device)\n"
                                     "return x, n, n.clone()")}, {"1.2"},
        {"ch01": fill("ch01", "1.2", "n = torch.zeros(x.shape[1], dtype=x.dtype, device=x.device)\n"
                                     "return torch.zeros_like(x), n, n.clone()")},
        "calls.call: the tensors a call is given are put back after it (their version moves on)"),
    "patches numpy, the oracle of least squares and R^2, at import": (
        {"ch09": "import numpy as _np\n_np.linalg.lstsq = lambda a, b, rcond=None: (_np.zeros(a.shape[1]), 0, 0, 0)\n"
                 "_np.var = lambda *a, **k: float('inf')\n"
                 + fill("ch09", "9.3", R2_ONE, fill("ch09", "9.1", LS_ZEROS))}, {"9.1", "9.3"},
        {"ch09": fill("ch09", "9.3", R2_ONE, fill("ch09", "9.1", LS_ZEROS))},
        "coursekit/seal.py: numpy's Python layer under the checks' oracles is recorded"),
    "patches math.isclose, which a check decides with": (
        {"ch11": fill("ch11", "11.3", "return loss_fn(model(x), y)") + "\nimport math\n"
                                                                       "math.isclose = lambda *a, **k: True\n"},
        {"11.3"}, {"ch11": fill("ch11", "11.3", "return loss_fn(model(x), y)")},
        "coursekit/seal.py: math and the other modules a check computes with are recorded"),
    "patches torch.optim.SGD.step, the oracle of Exercise 7.3": (
        {"ch07": fill("ch07", "7.3", "return loss") + "\ntorch.optim.SGD.step = lambda self, closure=None: None\n"},
        {"7.3"}, {"ch07": fill("ch07", "7.3", "return loss")},
        "coursekit/seal.py: the classes of torch.optim, torch.nn and torch.utils.data are recorded"),
    "poisons sys.modules for a grader module a check imports lazily": (
        {"ch05": silu_wrong("import sys, types\nfake = types.ModuleType('autograder.engine.gradients')\n"
                            "fake.gradcheck_message = lambda *a, **k: ''\nsys.modules['autograder.engine.gradients'] = fake\n")},
        {"5.3", "5.4"}, {"ch05": silu_wrong()},
        "child._import_the_engine and coursekit/seal.py: every engine module is imported and its sys.modules entry kept"),
    "a backward hook arms a self-restoring swap of assert_close, outside calls.call": (
        {"ch04": _stub("ch04") + MLP_WITHOUT_ACTIVATION.replace("ARM", ARM_SELF_RESTORING_SWAP)}, {"4.3"},
        {"ch04": _stub("ch04") + MLP_WITHOUT_ACTIVATION.replace("ARM", "")},
        "sandbox audit hook: exercise code may not set __code__ or __defaults__ of a function that is not its own"),
    "calls the reference through the __globals__ of a function swapped in for its own": (
        {"ch11": fill("ch11", "11.3", "g = l1_penalty.__globals__\nif g is not globals():\n"
                                      "    return g['regularized_loss'](model, x, y, loss_fn, l1, l2)"),
         "ch10": fill("ch10", "10.3", "g = predict_labels.__globals__\nif g is not globals():\n"
                                      "    return g['accuracy'](logits, targets, threshold)")}, {"10.3", "11.3"},
        {"ch11": _stub("ch11"), "ch10": _stub("ch10")},
        "isolation.use_reference: what is swapped in is a stand-in that holds the reference in a generator's frame"),
    "returns a float subclass whose subtraction is always 0": (
        {"ch10": fill("ch10", "10.3", "class F(float):\n    def __sub__(self, other):\n        return 0.0\n"
                                      "    __rsub__ = __sub__\n    def __eq__(self, other):\n        return True\n"
                                      "    __hash__ = float.__hash__\nreturn F(0.0)")}, {"10.3"},
        {"ch10": fill("ch10", "10.3", "return 0.0")},
        "isolation.plain: a Python subclass of a number that answers for itself is looked at as its base type"),
    "returns an object whose __class__ says float and whose subtraction is always 0": (
        {"ch10": fill("ch10", "10.3", "class Liar:\n    __class__ = property(lambda self: float)\n"
                                      "    def __sub__(self, other):\n        return 0.0\n    __rsub__ = __sub__\n"
                                      "    def __float__(self):\n        return 0.0\n"
                                      "    def __format__(self, spec):\n        return '0'\nreturn Liar()")}, {"10.3"},
        {"ch10": fill("ch10", "10.3", "return 0.0")},
        "isolation.plain: an object whose __class__ is not its type fails as such (isinstance believes __class__)"),
    "returns a tuple subclass that says it has two items and yields none": (
        {"ch09": fill("ch09", "9.1", "class Pair(tuple):\n    def __len__(self):\n        return 2\n"
                                     "    def __iter__(self):\n        return iter(())\nreturn Pair()")}, {"9.1"},
        {"ch09": fill("ch09", "9.1", "return ()")},
        "isolation.plain: a Python subclass of a container that answers for itself is looked at as its base type"),
    "sets the __class__ of the check's input to a subclass that agrees with everything": (
        {"ch01": fill("ch01", "1.1", "class Yes(torch.Tensor):\n    def __eq__(self, other):\n"
                                     "        return torch.ones(self.shape, dtype=torch.bool)\n"
                                     "try:\n    x.__class__ = Yes\nexcept Exception:\n    pass\n" + ZEROS)},
        {"1.1"}, {"ch01": ZEROS_1_1},
        "sandbox audit hook: exercise code may not set the __class__ of an object that is not its own"),
    "blinds the signal guard's audit through its closure cell, then reads check frames from a profiling timer": (
        {"ch01": fill("ch01", "1.1",
                      "import signal, _signal, sys\ng = globals()\n"
                      "if '_frames' not in g:\n    g['_frames'] = []\n"
                      "    for f in (_signal.signal, _signal.getsignal):\n"
                      "        for cell in (getattr(f, '__closure__', None) or ()):\n"
                      "            if cell.cell_contents is sys.audit:\n"
                      "                cell.cell_contents = lambda *a, **k: None\n"
                      "    def grab(number, frame):\n        g['_frames'].append(frame)\n"
                      "    try:\n        signal.signal(signal.SIGPROF, grab)\n"
                      "        signal.setitimer(signal.ITIMER_PROF, 0.001, 0.001)\n"
                      "    except Exception:\n        pass\n"
                      "for f in reversed(g['_frames'][-200:]):\n    ref = f.f_locals.get('reference')\n"
                      "    if ref is not None and hasattr(ref, 'add_bias_column'):\n"
                      "        return ref.add_bias_column(x)\n" + ZEROS)},
        {"1.1"}, {"ch01": ZEROS_1_1},
        "sandbox._refuse_signal_handlers: the real functions and sys.audit live in generators' frames, not in cells"),
    "an import that never ends": ({"ch04": _stub("ch04") + "\nimport time\nwhile True:\n    time.sleep(1)\n"},
                                  {"ch04"}, {"ch04": _stub("ch04")},
                                  "batch.py: a chapter's import has the check's deadline; the chapter is broken"),
    "raises the recursion limit through the grader's saved setter, then recurses": (
        {"ch05": fill("ch05", "5.1", "import sys\nfor m in list(sys.modules.values()):\n"
                                     "    s = getattr(m, '_set_recursion_limit', None)\n"
                                     "    if s is not None:\n        s(10 ** 7)\n"
                                     "def down(n):\n    return down(n + 1) + 1\nreturn down(0)")}, {"5.1"},
        {"ch05": _stub("ch05")}, "sandbox.py RLIMIT_AS and RLIMIT_STACK; batch.py: a crash costs the check"),
    "raises an exception whose __str__ never returns": (
        {"ch05": fill("ch05", "5.1", "class Forever(Exception):\n    def __str__(self):\n        while True:\n"
                                     "            pass\nraise Forever()")}, {"5.1"}, {"ch05": _stub("ch05")},
        "batch.py: the check's deadline holds while the grader formats the error"),
}
THIRD_ROUND_CHAPTERS = sorted({_chapter_file(c) for files, _, control, _ in THIRD_ROUND.values()
                               for c in (*files, *control)} | {"ch02_autograd"})


def grade_round(attacks: dict, chapters: list[str], root: Path):
    """Grade every attack of a round in one class run: each in its own folder beside the honest ch02, and each
    distinct control (the same code without the attack) once."""
    subs, out = root / "submissions", root / "out"
    folders: dict[str, tuple[Path, Path]] = {}
    controls: dict[str, Path] = {}  # one folder per distinct control
    for index, (name, (files, _, control, _)) in enumerate(attacks.items()):
        folder = subs / f"attack-{index:02d}"
        folder.mkdir(parents=True)
        for chapter, source in files.items():
            (folder / f"{_chapter_file(chapter)}.py").write_text(source)
        shutil.copy(KIT_ROOT / "solutions/ch02_autograd.py", folder / "ch02_autograd.py")
        key = repr(sorted(control.items()))
        if key not in controls:
            controls[key] = subs / f"control-{len(controls):02d}"
            controls[key].mkdir()
            for chapter, source in control.items():
                (controls[key] / f"{_chapter_file(chapter)}.py").write_text(source)
        folders[name] = (folder, controls[key])
    students = [Student(f.name, f) for f in sorted({p for pair in folders.values() for p in pair})]
    outcome = grade_class(students, out, Options(workers=2, timeout=240, memory_mb=1024, check_timeout=20,
                                                 chapters=chapters, progress=False))
    return outcome, folders, out


def assert_gains_nothing(graded, attack: str) -> None:
    """The attack scores no more than its control on what it attacks, and the honest ch02 beside it keeps full marks."""
    outcome, folders, out = graded
    folder, control = folders[attack]
    scores, baseline = outcome.scores[folder.name], outcome.scores[control.name]
    report = outcome.results[folder.name]["output"]
    for exercise, score in scores.items():
        if exercise.startswith("2."):  # the honest chapter beside the attack
            assert score == outcome.max_points[exercise], f"{attack}: {exercise}\n{report}"
        else:
            assert score <= baseline[exercise], f"{attack}: {exercise} scored {score} > {baseline[exercise]}\n{report}"
    assert (out / "results" / f"{folder.name}.json").is_file()


@pytest.fixture(scope="module")
def third_round(tmp_path_factory):
    return grade_round(THIRD_ROUND, THIRD_ROUND_CHAPTERS, tmp_path_factory.mktemp("third-round"))


@pytest.mark.parametrize("attack", list(THIRD_ROUND), ids=str)
def test_third_round_attack_gains_nothing(third_round, attack):
    assert_gains_nothing(third_round, attack)


def test_third_round_names_its_walls():
    assert len(THIRD_ROUND) >= 15
    assert all(wall.strip() for _, _, _, wall in THIRD_ROUND.values())


def test_the_gradescope_route_keeps_its_results_and_source(tmp_path):
    """Through `coursekit grade-submission` (what run_autograder runs): an upload that writes a forged results.json
    into the results folder, plants files in the kit (/autograder/source) and links a chapter file to the reference
    gains nothing, and the results.json is the grader's."""
    from coursekit.gradescope import grade_submission

    submission, results = tmp_path / "submission", tmp_path / "results" / "results.json"
    submission.mkdir()
    targets = [results, results.parent / "forged.json", KIT_ROOT / "autograder" / "conftest_planted.py",
               KIT_ROOT / "solutions" / "ch01_tensors.py", Path("/proc/1/root") / str(results).lstrip("/")]
    body = ("import json, pathlib\nfor p in " + repr([str(t) for t in targets]) + ":\n"
            "    try:\n        pathlib.Path(p).write_text(json.dumps({'score': 999, 'tests': []}))\n"
            "    except OSError:\n        pass\n" + ZEROS)
    (submission / "ch01_tensors.py").write_text(fill("ch01", "1.1", body))
    (submission / "ch02_autograd.py").symlink_to(KIT_ROOT / "solutions/ch02_autograd.py")
    reference_before = (KIT_ROOT / "solutions/ch01_tensors.py").read_bytes()
    spec = grade_submission(submission, results, chapters=["ch01_tensors", "ch02_autograd"], workers=1)
    written = json.loads(results.read_text())
    assert written["score"] == spec["score"] <= 1.0, written["output"][-3000:]  # zeros keep the input unchanged: 1 point
    assert all(t["score"] == 0 for t in written["tests"] if t["number"].startswith("2.")), "the link was graded"
    assert not (results.parent / "forged.json").exists()
    assert not (KIT_ROOT / "autograder" / "conftest_planted.py").exists()
    assert (KIT_ROOT / "solutions/ch01_tensors.py").read_bytes() == reference_before


# --- A fourth adversarial round: inputs re-pointed in place, results that lie through trusted-looking methods, learner
# code that runs after calls.call has looked (threads, __del__, instance attributes, gc callbacks), global hook
# registries, and timers left armed. Same rule as the third round: an attack scores no more than its control, and
# the honest chapter beside it (solutions/ch02_autograd.py) keeps full marks.
ZEROS_TRIPLE_1_1 = ("return (torch.zeros(1, 1, dtype=x.dtype), torch.zeros(1, dtype=x.dtype), "
                    "torch.zeros(1, dtype=x.dtype))")
ZEROS_TRIPLE = ("z = torch.zeros_like(x)\nm = torch.zeros(x.shape[1], dtype=x.dtype, device=x.device)\n")
SELF_RESTORING_METAS = (  # a patch of assert_close's module global that undoes itself the moment it is used
    "import torch.testing._comparison as _c\n"
    "_real = _c.not_close_error_metas\n"
    "def _fake(*args, **kwargs):\n    _c.not_close_error_metas = _real\n    return []\n"
    "def _arm():\n    _c.not_close_error_metas = _fake\n")
GLOBAL_ZERO_HOOK = ("\nimport torch.nn.modules.module as _mm\n"
                    "_mm.register_module_forward_hook(lambda module, args, out: out * 0 if isinstance(out, torch.Tensor)"
                    " else out)\n")
WRONG_LINEAR_REGRESSION = ("    def __init__(self, in_features, out_features=1):\n        super().__init__()\n"
                           "        self.linear = nn.Linear(in_features, out_features)\n\n"
                           "    def forward(self, x):\n        return self.linear(x) + 1.0\n")


def wrong_linear_regression(extra: str = "") -> str:
    text = _stub("ch04")
    start = text.index("    def __init__(self, in_features: int, out_features: int = 1):")
    end = text.index("\n\n\nclass LogisticRegression")
    return text[:start] + WRONG_LINEAR_REGRESSION + text[end:] + extra


OPTIMIZER_UNDO_HOOKS = (
    "\nimport torch.optim.optimizer as _oo\n_saved = {}\n"
    "def _params(opt):\n    return [p for g in opt.param_groups for p in g['params']]\n"
    "def _pre(opt, args, kwargs):\n    _saved[id(opt)] = [p.detach().clone() for p in _params(opt)]\n"
    "def _post(opt, args, kwargs):\n    with torch.no_grad():\n"
    "        for p, v in zip(_params(opt), _saved.pop(id(opt), [])):\n            p.copy_(v)\n"
    "_oo.register_optimizer_step_pre_hook(_pre)\n_oo.register_optimizer_step_post_hook(_post)\n")
FOURTH_ROUND = {
    "resize_ of the input: the reference, computed after the call, sees a 1x1 zero": (
        {"ch01": fill("ch01", "1.2", "with torch.no_grad():\n    x.resize_(1, 1).zero_()\n" + ZEROS_TRIPLE_1_1)},
        {"1.2"}, {"ch01": fill("ch01", "1.2", ZEROS_TRIPLE_1_1)},
        "calls.call: an input's shape, strides and storage are put back (set_), then its values"),
    "set_ of the input to a new 1x1 storage": (
        {"ch01": fill("ch01", "1.2", "with torch.no_grad():\n    x.set_(torch.zeros(1, 1, dtype=x.dtype))\n"
                      + ZEROS_TRIPLE_1_1)}, {"1.2"}, {"ch01": fill("ch01", "1.2", ZEROS_TRIPLE_1_1)},
        "calls.call: an input's shape, strides and storage are put back (set_), then its values"),
    "as_strided_ of the input to zero strides (its own values cannot be copied back over it)": (
        {"ch01": fill("ch01", "1.2", "with torch.no_grad():\n    x.as_strided_(x.shape, (0, 0))\n" + ZEROS_TRIPLE +
                      "return z, m + x[0, 0], m")}, {"1.2"},
        {"ch01": fill("ch01", "1.2", ZEROS_TRIPLE + "return z, m + x[0, 0], m")},
        "calls.call: an input's shape, strides and storage are put back (set_), then its values"),
    "a thread resizes the input again after calls.call put it back": (
        {"ch01": fill("ch01", "1.2", "import sys, threading, time\nsys.setswitchinterval(1e-6)\n"
                      "def spoil(x=x, end=time.monotonic() + 1.0):\n    while time.monotonic() < end:\n"
                      "        if x.shape != (1, 1):\n            with torch.no_grad():\n"
                      "                x.resize_(1, 1).zero_()\n"
                      "threading.Thread(target=spoil, daemon=True).start()\ntime.sleep(0.01)\n" + ZEROS_TRIPLE_1_1)},
        {"1.2"}, {"ch01": fill("ch01", "1.2", ZEROS_TRIPLE_1_1)},
        "calls.call: a call that leaves a Python thread running fails (the thread could act while the check "
        "decides); the child's switch interval is put back"),
    "a tuple subclass whose __iter__ is a standard-library function that yields nothing": (
        {"ch01": fill("ch01", "1.2", "import ast\nclass Lazy(tuple):\n    __module__ = 'ast'\n"
                      "    __iter__ = ast.iter_child_nodes\n    _fields = ()\n" + ZEROS_TRIPLE
                      + "return Lazy((z, m, m))")}, {"1.2"},
        {"ch01": fill("ch01", "1.2", ZEROS_TRIPLE + "return (z, m, m)")},
        "isolation.plain: a Python subclass with any method of its own is looked at as its base type, wherever "
        "its methods come from"),
    "a namedtuple look-alike whose _make hands back a tuple that yields nothing": (
        {"ch01": fill("ch01", "1.2", "class Empty(tuple):\n    def __iter__(self):\n        return iter(())\n"
                      "class Pretend(tuple):\n    _fields = ('z', 'mean', 'std')\n    @classmethod\n"
                      "    def _make(cls, items):\n        return Empty(items)\n"
                      "class Sub(torch.Tensor):\n    pass\n" + ZEROS_TRIPLE
                      + "return Pretend((z.as_subclass(Sub), m, m))")}, {"1.2"},
        {"ch01": fill("ch01", "1.2", ZEROS_TRIPLE + "return (z, m, m)")},
        "isolation.plain: containers are rebuilt with the base type's own constructor, never the value's _make"),
    "a float subclass whose __sub__ is functools._gt_from_lt (always False, so abs(got - expected) is 0)": (
        {"ch10": fill("ch10", "10.3", "import functools\nclass F(float):\n    __module__ = 'functools'\n"
                      "    __sub__ = functools._gt_from_lt\nreturn F(0.0)")}, {"10.3"},
        {"ch10": fill("ch10", "10.3", "return 0.0")},
        "isolation.plain: a Python subclass of a number with any method of its own is its base type"),
    "a fake sysconfig in sys.modules makes every file look like the standard library": (
        {"ch10": fill("ch10", "10.3", "import sys, types\nfake = types.ModuleType('sysconfig')\n"
                      "fake.get_paths = lambda *a, **k: dict.fromkeys(('stdlib', 'platstdlib', 'purelib', 'platlib'), '')\n"
                      "sys.modules['sysconfig'] = fake\nclass F(float):\n    def __sub__(self, other):\n"
                      "        return 0.0\nreturn F(0.0)")}, {"10.3"},
        {"ch10": fill("ch10", "10.3", "return 0.0")},
        "isolation.plain: decides from the class alone (no lookup in sys.modules, no lazy import)"),
    "a returned tensor's own `detach` attribute arms a self-restoring patch inside the comparison": (
        {"ch01": fill("ch01", "1.1", SELF_RESTORING_METAS + "out = torch.zeros(x.shape[0], x.shape[1] + 1, "
                      "dtype=x.dtype, device=x.device)\nreal_detach = out.detach\n"
                      "def detach():\n    _arm()\n    return real_detach()\nout.detach = detach\nreturn out")},
        {"1.1"}, {"ch01": ZEROS_1_1},
        "isolation.plain: a returned tensor whose own attributes shadow torch's methods fails as such"),
    "a tensor subclass's __del__ arms a self-restoring patch once calls.call has looked": (
        {"ch01": fill("ch01", "1.1", SELF_RESTORING_METAS + "class S(torch.Tensor):\n    def __del__(self):\n"
                      "        _arm()\n"
                      "return torch.zeros(x.shape[0], x.shape[1] + 1, dtype=x.dtype, device=x.device).as_subclass(S)")},
        {"1.1"}, {"ch01": ZEROS_1_1},
        "calls.call: what it returned is made plain before the sealed check looks (a __del__ runs first)"),
    "a gc callback arms a self-restoring patch while the check compares": (
        {"ch01": fill("ch01", "1.1", SELF_RESTORING_METAS + "import gc\ng = globals()\n"
                      "if '_gc_armed' not in g:\n    g['_gc_armed'] = [0]\n"
                      "    def _cb(phase, info):\n        if phase == 'stop' and g['_gc_armed'][0]:\n"
                      "            g['_gc_armed'][0] -= 1\n            if g['_gc_armed'][0] == 0:\n"
                      "                _arm()\n    gc.callbacks.append(_cb)\n    gc.set_threshold(1, 1, 1)\n"
                      "out = torch.zeros(x.shape[0], x.shape[1] + 1, dtype=x.dtype, device=x.device)\n"
                      "g['_gc_armed'][0] = 3\nreturn out")},
        {"1.1"}, {"ch01": ZEROS_1_1},
        "calls.call: gc callbacks and thresholds a call added are removed and fail the call"),
    "a global forward hook zeroes the output of every module, the reference's too": (
        {"ch04": wrong_linear_regression(GLOBAL_ZERO_HOOK)}, {"4.1"}, {"ch04": wrong_linear_regression()},
        "global_state: torch's global module and optimizer hook registries are recorded, restored and named"),
    "global optimizer hooks undo every step, torch's own SGD's too": (
        {"ch07": fill("ch07", "7.3", "return loss") + OPTIMIZER_UNDO_HOOKS}, {"7.3"},
        {"ch07": fill("ch07", "7.3", "return loss")},
        "global_state: torch's global module and optimizer hook registries are recorded, restored and named"),
    "a faulthandler timer writes tracebacks into the result pipe during later checks": (
        {"ch01": fill("ch01", "1.4", "import faulthandler\n"
                      "faulthandler.dump_traceback_later(0.3, repeat=True, file=1023)\nraise NotImplementedError()")},
        {"ch01"}, {"ch01": _stub("ch01")},
        "child.py: faulthandler's timer is cancelled after every check"),
    "a CPU-time profiling timer (SIGPROF kills) set to fire in a later chapter": (
        {"ch01": fill("ch01", "1.4", "import signal\nsignal.setitimer(signal.ITIMER_PROF, 0.5)\n"
                      "signal.setitimer(signal.ITIMER_VIRTUAL, 0.6)\nraise NotImplementedError()")},
        {"ch01"}, {"ch01": _stub("ch01")},
        "child.py: interval timers left armed are named as leftovers and cancelled; a fresh child grades the rest"),
    "a module-level __getattr__ that raises KeyboardInterrupt for a missing exercise": (
        {"ch01": _stub("ch01").replace("def one_hot(", "def _gone(") + "\n\ndef __getattr__(name):\n"
                                                                       "    raise KeyboardInterrupt\n"},
        {"ch01"}, {"ch01": _stub("ch01")},
        "plugin.LearnerModule: a missing name costs its exercise; child.run: a BaseException ends only the child"),
    "a tuple subclass whose __len__ and __iter__ are namedtuple field getters (of functions it holds)": (
        {"ch01": fill("ch01", "1.2", "import collections\n"
                      "getter = type(collections.namedtuple('P', 'a').a)\n"
                      "class Odd(tuple):\n    __len__ = getter(0, None)\n    __iter__ = getter(1, None)\n"
                      "return Odd((lambda: 3, lambda: iter(())))")}, {"1.2"},
        {"ch01": fill("ch01", "1.2", "return (lambda: 3, lambda: iter(()))")},
        "isolation.plain: only a namedtuple's own field names may be field getters, never a special method"),
    "adds an audit hook that arms a self-restoring patch on the grader's next audited event": (
        {"ch01": fill("ch01", "1.1", SELF_RESTORING_METAS + "import sys\n"
                      "try:\n    sys.addaudithook(lambda event, args: _arm())\nexcept Exception:\n    pass\n" + ZEROS)},
        {"1.1"}, {"ch01": ZEROS_1_1}, "sandbox audit hook: sys.addaudithook is refused to exercise code"),
    "a __del__ in a reference cycle arms a self-restoring patch at a later collection": (
        {"ch01": fill("ch01", "1.1", SELF_RESTORING_METAS + "class Bomb:\n    def __del__(self):\n        _arm()\n"
                      "for _ in range(20):\n    b = Bomb()\n    b.me = b\ndel b\n" + ZEROS)},
        {"1.1"}, {"ch01": ZEROS_1_1},
        "in-process: open as a class of attack (a collection may come at any time); the sealed check at the end "
        "of the check names what is left armed, and the child then ends (a fresh one grades the rest)"),
    "pushes saved-tensor hooks at import that zero every tensor autograd saves": (
        {"ch05": silu_wrong("torch._C._autograd._push_saved_tensors_default_hooks(lambda t: t, lambda t: t * 0)\n")},
        {"5.3", "5.4"}, {"ch05": silu_wrong()},
        "global_state: the saved-tensor hook stack is recorded, named and popped"),
    "leaves torch.set_flush_denormal(True) and a huge switch interval behind": (
        {"ch01": fill("ch01", "1.1", "import sys\ntorch.set_flush_denormal(True)\nsys.setswitchinterval(5.0)\n"
                      + ZEROS)}, {"1.1"}, {"ch01": ZEROS_1_1},
        "global_state: the switch interval is put back; flushing denormals is recorded and switched back off"),
}
FOURTH_ROUND_CHAPTERS = sorted({_chapter_file(c) for files, _, control, _ in FOURTH_ROUND.values()
                                for c in (*files, *control)} | {"ch02_autograd"})


@pytest.fixture(scope="module")
def fourth_round(tmp_path_factory):
    return grade_round(FOURTH_ROUND, FOURTH_ROUND_CHAPTERS, tmp_path_factory.mktemp("fourth-round"))


@pytest.mark.parametrize("attack", list(FOURTH_ROUND), ids=str)
def test_fourth_round_attack_gains_nothing(fourth_round, attack):
    assert_gains_nothing(fourth_round, attack)


def test_fourth_round_names_its_walls():
    assert len(FOURTH_ROUND) >= 15
    assert all(wall.strip() for _, _, _, wall in FOURTH_ROUND.values())


# --- A fifth round: what the fourth round's notes left open (denormals flushed, the dispatch tables of copy, copyreg,
# pickle and torch's pytree, a __del__ chain in reference cycles that re-arms at every collection, a child that ends
# on an exception the gradebook did not name), then torch's own dispatch state (function and dispatch modes that pop
# themselves, thread-local dispatch keys, inference mode, torch.library kernels) and the check's own objects (an
# attribute set on its input or model that shadows torch's method for the reference computed after the call). Same
# rule: no more than the control on what it attacks, the honest chapter beside it keeps full marks, and every other
# exercise of the submission scores what it scores beside the control.
FLIP_MEAN_STD = ("D = x.shape[1]\n"
                 "x.mean = lambda *a, **k: torch.zeros(D, dtype=x.dtype, device=x.device)\n"
                 "x.std = lambda *a, **k: torch.ones(D, dtype=x.dtype, device=x.device)\n")
IDENTITY_1_2 = ("D = x.shape[1]\nreturn x.detach().clone(), torch.zeros(D, dtype=x.dtype, device=x.device), "
                "torch.ones(D, dtype=x.dtype, device=x.device)")
EMPTY_EXAMPLES = (  # the next example's deep copy (generated.py) hands the call and the reference tensors of no rows
    "import copy as _copy\n_real = _copy._deepcopy_dispatch[dict]\n"
    "def _dc(d, memo, deepcopy=_copy.deepcopy):\n    out = _real(d, memo, deepcopy)\n"
    "    for k, v in list(out.items()):\n        if isinstance(v, torch.Tensor) and v.dim() >= 1:\n"
    "            out[k] = v[:0]\n    return out\n_copy._deepcopy_dispatch[dict] = _dc\n")
HIDE_FROM_PYTREE = ("import torch.utils._pytree as _pt\n"
                    "_pt.SUPPORTED_NODES[tuple] = _pt.SUPPORTED_NODES[tuple]._replace(flatten_fn=lambda t: ([], None))\n")
NO_DEVICE_1_1 = "return torch.cat([torch.ones(x.shape[0], 1, dtype=x.dtype), x], 1)"
SELF_POPPING_FUNCTION_MODE = (  # answers isclose with "all close", and pops itself once the check drops that answer
    "import torch.overrides as _ov, weakref\nclass _Yes(_ov.TorchFunctionMode):\n"
    "    def __torch_function__(self, func, types, args=(), kwargs=None):\n        kwargs = kwargs or {}\n"
    "        if func is torch.isclose:\n            out = torch.ones(args[0].shape, dtype=torch.bool)\n"
    "            weakref.finalize(out, torch._C._pop_torch_function_stack)\n            return out\n"
    "        return func(*args, **kwargs)\n_Yes().__enter__()\n")
SELF_POPPING_DISPATCH_MODE = (
    "from torch.utils._python_dispatch import TorchDispatchMode\nimport weakref\n"
    "class _Yes(TorchDispatchMode):\n    def __torch_dispatch__(self, func, types, args=(), kwargs=None):\n"
    "        out = func(*args, **(kwargs or {}))\n"
    "        if isinstance(out, torch.Tensor) and out.dtype == torch.bool:\n            out = torch.ones_like(out)\n"
    "            if 'all' in str(func):\n                weakref.finalize(out, torch._C._pop_torch_dispatch_stack)\n"
    "        return out\n_Yes().__enter__()\n")
ISCLOSE_KERNEL = ("\nimport torch, torch.library\n_lib = torch.library.Library('aten', 'IMPL')\n"
                  "def _close(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):\n"
                  "    return torch.ones(torch.broadcast_shapes(a.shape, b.shape), dtype=torch.bool)\n"
                  "_lib.impl('isclose', _close, 'CPU')\n")
COLLECTED_CHAIN = (  # every collection finalizes a cycle that makes the next: a self-restoring patch armed each time
    "g = globals()\nif '_Bomb' not in g:\n"
    "    import torch.testing._comparison as _c, time as _t\n    _real = _c.not_close_error_metas\n"
    "    _state = {'cool': 0.0}\n"
    "    def _fake(*args, **kwargs):\n        _c.not_close_error_metas = _real\n"
    "        _state['cool'] = _t.monotonic() + 0.5\n        return []\n"
    "    class _Bomb:\n        def __del__(self):\n"
    "            if _t.monotonic() > _state['cool'] and _c.not_close_error_metas is _real:\n"
    "                _c.not_close_error_metas = _fake\n            b = _Bomb(); b.me = b\n"
    "    g['_Bomb'] = _Bomb\n    _b = _Bomb(); _b.me = _b; del _b\n")
HOOK_ARMS_GLOBAL = '''if out.requires_grad:
            import torch.testing._comparison as c
            real = c.not_close_error_metas
            def fake(*a, **k):
                c.not_close_error_metas = real
                return []
            def arm(grad):
                c.not_close_error_metas = fake
            out.register_hook(arm)'''
HOOK_COUNTS_DOWN = '''if out.requires_grad:
            import torch.testing._comparison as c
            left = [len(list(self.parameters()))]
            real = c.not_close_error_metas
            def fake(*a, **k):
                left[0] -= 1
                if left[0] <= 0:
                    c.not_close_error_metas = real
                return []
            def arm(grad):
                c.not_close_error_metas = fake
            out.register_hook(arm)'''
STUB_CH01 = _stub("ch01")
FIFTH_ROUND = {
    "leaves torch.set_flush_denormal(True) on at import": (
        {"ch01": ZEROS_1_1 + "\nimport torch\ntorch.set_flush_denormal(True)\n"}, {"1.1"}, {"ch01": ZEROS_1_1},
        "global_state: flushing denormals is recorded, named and switched back off"),
    "edits copy._deepcopy_dispatch in the call: the next example's copy has no rows": (
        {"ch01": fill("ch01", "1.1", EMPTY_EXAMPLES + ZEROS)}, {"1.1"}, {"ch01": ZEROS_1_1},
        "coursekit/seal.py: the dispatch tables of copy, copyreg, pickle and pytree are recorded, asked each time "
        "learner code returns, and put back"),
    "edits copy._deepcopy_dispatch at import": (
        {"ch01": ZEROS_1_1 + "\nimport torch\n" + EMPTY_EXAMPLES}, {"1.1"}, {"ch01": ZEROS_1_1},
        "coursekit/seal.py: the dispatch tables are recorded; what the import changed is put back"),
    "replaces copy._deepcopy_dispatch and copyreg.dispatch_table with tables of its own": (
        {"ch01": fill("ch01", "1.1", "import copy, copyreg\ncopy._deepcopy_dispatch = dict(copy._deepcopy_dispatch)\n"
                      "copyreg.dispatch_table = {}\n" + EMPTY_EXAMPLES + ZEROS)}, {"1.1"}, {"ch01": ZEROS_1_1},
        "coursekit/seal.py: a dispatch table replaced as a whole is named and put back"),
    "torch's pytree node table hides meta inputs from the same-device checker": (
        {"ch01": fill("ch01", "1.1", HIDE_FROM_PYTREE + NO_DEVICE_1_1)}, {"1.1"},
        {"ch01": fill("ch01", "1.1", NO_DEVICE_1_1)},
        "coursekit/seal.py: torch.utils._pytree.SUPPORTED_NODES is a recorded dispatch table"),
    "a __del__ chain in reference cycles re-arms a self-restoring patch at every collection": (
        {"ch01": fill("ch01", "1.1", COLLECTED_CHAIN + ZEROS)}, {"1.1"}, {"ch01": ZEROS_1_1},
        "child.py: a check that tampered (or whose call calls.call failed for tampering) ends the child, so the "
        "chain cannot reach another chapter; arming exactly while a check compares stays open in principle"),
    "a torch function mode left on answers isclose, and pops itself when the check drops the answer": (
        {"ch01": fill("ch01", "1.1", SELF_POPPING_FUNCTION_MODE + ZEROS)}, {"1.1"}, {"ch01": ZEROS_1_1},
        "calls.call: a torch function or dispatch mode left pushed when learner code returns fails it, and is popped"),
    "a torch dispatch mode left on answers every boolean op with True, and pops itself": (
        {"ch01": fill("ch01", "1.1", SELF_POPPING_DISPATCH_MODE + ZEROS)}, {"1.1"}, {"ch01": ZEROS_1_1},
        "calls.call: a torch function or dispatch mode left pushed when learner code returns fails it, and is popped"),
    "excludes AutogradCPU from this thread's dispatch at import (no backward in later chapters)": (
        {"ch01": STUB_CH01 + "\nimport torch\n"
                             "torch._C._dispatch_tls_set_dispatch_key_excluded(torch._C.DispatchKey.AutogradCPU, True)\n"},
        {"ch01"}, {"ch01": STUB_CH01}, "global_state: the thread's included and excluded dispatch keys are recorded"),
    "enters inference mode at import and never leaves it": (
        {"ch01": STUB_CH01 + "\nimport torch\n_keep = torch.inference_mode()\n_keep.__enter__()\n"}, {"ch01"},
        {"ch01": STUB_CH01}, "global_state: inference mode is recorded and put back off"),
    "includes meta in this thread's dispatch at import (every later operation runs on meta)": (
        {"ch01": STUB_CH01 + "\nimport torch\ntorch._C._set_meta_in_tls_dispatch_include(True)\n"}, {"ch01"},
        {"ch01": STUB_CH01}, "global_state: meta in the thread's dispatch include set is recorded"),
    "sets x.mean and x.std on its input, so that the reference computed after the call agrees": (
        {"ch01": fill("ch01", "1.2", FLIP_MEAN_STD + IDENTITY_1_2)}, {"1.2"}, {"ch01": fill("ch01", "1.2", IDENTITY_1_2)},
        "calls.call: an attribute added to what a call is given that shadows its class's fails the call, and is "
        "removed"),
    "sets model.parameters on the check's model, so that the reference's penalties are zero": (
        {"ch11": fill("ch11", "11.3", "model.parameters = lambda *a, **k: iter(())\n"
                                      "model.named_parameters = lambda *a, **k: iter(())\n"
                                      "return loss_fn(model(x), y)")}, {"11.3"},
        {"ch11": fill("ch11", "11.3", "return loss_fn(model(x), y)")},
        "calls.call: an attribute added to what a call is given that shadows its class's fails the call"),
    "overrides aten::isclose's CPU kernel with torch.library at import": (
        {"ch01": ZEROS_1_1 + ISCLOSE_KERNEL}, {"1.1"}, {"ch01": ZEROS_1_1},
        "did not win: the kernel is not used by assert_close's comparison on these tensors (open in principle)"),
    "a backward hook of its output arms a self-restoring module global of assert_close": (
        {"ch04": _stub("ch04") + MLP_WITHOUT_ACTIVATION.replace("ARM", HOOK_ARMS_GLOBAL)}, {"4.3"},
        {"ch04": _stub("ch04") + MLP_WITHOUT_ACTIVATION.replace("ARM", "")},
        "did not win: the hook runs inside calls.call, whose sealed check sees the armed global"),
    "a backward hook, run by the check's own autograd.grad, arms a module global that restores itself after the "
    "last gradient is compared": (
        {"ch04": _stub("ch04") + MLP_WITHOUT_ACTIVATION.replace("ARM", HOOK_COUNTS_DOWN)}, {"4.3"},
        {"ch04": _stub("ch04") + MLP_WITHOUT_ACTIVATION.replace("ARM", "")},
        "OPEN: learner code that a check runs outside calls.call (autograd hooks, a custom Function's backward, a "
        "module's own methods) can arm a patch that is gone by the end of the check; only verdicts outside close it"),
    "turns every warning into an error at import": (
        {"ch01": STUB_CH01 + "\nimport warnings\nwarnings.simplefilter('error')\n"}, {"ch01"}, {"ch01": STUB_CH01},
        "pytest puts the warning filters back around every check"),
    "sets sys.stdout and sys.stderr to None at import": (
        {"ch01": STUB_CH01 + "\nimport sys\nsys.stdout = sys.stderr = None\n"}, {"ch01"}, {"ch01": STUB_CH01},
        "pytest's capture replaces them around every check"),
    "changes the working directory and disables the garbage collector at import": (
        {"ch01": STUB_CH01 + "\nimport os, gc\nos.chdir('/')\ngc.disable()\n"}, {"ch01"}, {"ch01": STUB_CH01},
        "nothing the checks read depends on either"),
    "disables saved-tensor hooks at import": (
        {"ch01": STUB_CH01 + "\nimport torch\n_ctx = torch.autograd.graph.disable_saved_tensors_hooks('no')\n"
                             "_ctx.__enter__()\n"}, {"ch01"}, {"ch01": STUB_CH01},
        "no check of another chapter registers saved-tensor hooks"),
    "raises KeyboardInterrupt inside its check (the child ends with status 70)": (
        {"ch01": fill("ch01", "1.1", "raise KeyboardInterrupt('stop')")}, {"1.1"}, {"ch01": _stub("ch01")},
        "batch.py: the child names the exception that ended it; the check costs, a fresh child grades the rest"),
}
FIFTH_ROUND_CHAPTERS = sorted({_chapter_file(c) for files, _, control, _ in FIFTH_ROUND.values()
                               for c in (*files, *control)} | {"ch02_autograd"})


@pytest.fixture(scope="module")
def fifth_round(tmp_path_factory):
    return grade_round(FIFTH_ROUND, FIFTH_ROUND_CHAPTERS, tmp_path_factory.mktemp("fifth-round"))


def _attacked(exercise: str, attacked: set) -> bool:
    return exercise in attacked or f"ch{int(exercise.split('.')[0]):02d}" in attacked


FIFTH_ROUND_OPEN = {name: wall for name, (_, _, _, wall) in FIFTH_ROUND.items() if wall.startswith("OPEN")}


@pytest.mark.parametrize("attack", [pytest.param(a, marks=pytest.mark.xfail(reason=FIFTH_ROUND_OPEN[a], strict=False))
                                    if a in FIFTH_ROUND_OPEN else a for a in FIFTH_ROUND], ids=str)
def test_fifth_round_attack_gains_nothing_and_costs_only_what_it_attacks(fifth_round, attack):
    assert_gains_nothing(fifth_round, attack)
    outcome, folders, _ = fifth_round
    folder, control = folders[attack]
    scores, baseline = outcome.scores[folder.name], outcome.scores[control.name]
    report = outcome.results[folder.name]["output"]
    for exercise, score in scores.items():
        if not exercise.startswith("2.") and not _attacked(exercise, FIFTH_ROUND[attack][1]):
            assert score == baseline[exercise], f"{attack}: {exercise} scored {score}, {baseline[exercise]} beside " \
                                                f"the control\n{report}"


def test_fifth_round_names_its_walls():
    assert len(FIFTH_ROUND) >= 15
    assert all(wall.strip() for _, _, _, wall in FIFTH_ROUND.values())


def test_a_child_that_ends_on_an_exception_names_it(fifth_round):
    """Status 70: the gradebook says which exception ended the child, and blames no crash on the learner."""
    outcome, folders, _ = fifth_round
    folder, _ = folders["raises KeyboardInterrupt inside its check (the child ends with status 70)"]
    report = outcome.results[folder.name]["output"]
    assert "KeyboardInterrupt: stop" in report, report
    assert "the code under test crashed" not in report and "grader itself failed" not in report, report
    assert outcome.scores[folder.name]["1.1"] == 0


def test_the_graders_own_error_reads_as_the_graders(tmp_path, monkeypatch):
    """A fault of the grader's own (here one injected where the child checks what learner code left behind, before
    any check runs) is named, regraded once in a fresh child, and reported as the grader's, never as a crash of the
    code under test; the run still ends with a result for every student."""
    from coursekit import child

    def broken() -> tuple:
        raise RuntimeError("injected fault of the grader's")

    monkeypatch.setattr(child, "_leftovers", broken)
    folder = tmp_path / "subs" / "honest"
    folder.mkdir(parents=True)
    shutil.copy(KIT_ROOT / "solutions/ch01_tensors.py", folder / "ch01_tensors.py")
    outcome = grade_class([Student("honest", folder)], tmp_path / "out",
                          Options(workers=1, timeout=60, memory_mb=1024, check_timeout=20, chapters=["ch01_tensors"],
                                  progress=False))
    report = outcome.results["honest"]["output"]
    assert "grader itself failed" in report and "RuntimeError: injected fault of the grader's" in report, report
    assert "the code under test crashed" not in report, report
    assert outcome.children == 2  # graded again once, in a fresh child
    assert (tmp_path / "out" / "results" / "honest.json").is_file()
