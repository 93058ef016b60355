"""The Jupyter peer conformance suite (jupyter_kernel_test) on the reglab kernel.

Run by test/integration/kernel-conformance.test.ts with the kernelspec installed into a temp
JUPYTER_PATH (REGLAB_KERNEL_NAME names it) and the default backend. Every test of the suite has
a TypeScript sample here; none is skipped or expected to fail.
"""
import os
import unittest

import jupyter_kernel_test


class ReglabKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = os.environ.get("REGLAB_KERNEL_NAME", "reglab")

    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("to stderr")'

    completion_samples = [
        {"text": "Math.ma", "matches": {"max"}},
        {"text": "const completeMe = 1;\ncompleteM", "matches": {"completeMe"}},
    ]

    complete_code_samples = ["1 + 1", "const a = 1;", "function f() { return 1; }", "let s = `a ${1} b`;   \n\n", "%time 1"]
    incomplete_code_samples = ["function f() {", "`unterminated template", "if (x) {\n  y();", "[1, 2,", "1 +"]
    invalid_code_samples = ["let = 7q", "const 1x = 2;", "}", "a)"]

    code_page_something = "Math.max?"

    code_generate_error = 'throw new Error("boom")'

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": "'a' + 'b'", "result": "'ab'"},
        {"code": "[1, 2].length", "result": "2"},
    ]
    code_display_data = [
        {"code": 'import { display } from "reglab";\ndisplay("shown")', "mime": "text/plain"},
        {
            "code": 'display({ [Symbol.for("Jupyter.display")]: () => ({ "text/html": "<b>bold</b>" }) })',
            "mime": "text/html",
        },
    ]

    # Matches "6 * 7" only (a glob, as IPython's history search).
    code_history_pattern = "6 * ?"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "Math.max"

    code_clear_output = 'import { clearOutput } from "reglab";\nconsole.log("before");\nclearOutput(true)'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The first cell loads tfjs and the backend, which can take longer than the suite's 15 s.
        msg_id = cls.kc.execute('import "reglab";')
        while True:
            reply = cls.kc.get_shell_msg(timeout=120)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        assert reply["content"]["status"] == "ok", reply["content"]


if __name__ == "__main__":
    unittest.main()
