"""Drive the reglab kernel's stdin channel with jupyter_client; print one JSON object of results.

Usage: stdin_session.py KERNEL_NAME
"""
import json
import queue
import sys
import time

from jupyter_client.manager import start_new_kernel


def main():
    km, kc = start_new_kernel(kernel_name=sys.argv[1], startup_timeout=60)
    results = {}

    def run(code, allow_stdin=True, answer=None, interrupt=False, timeout=120):
        """Execute; answer input_request with `answer`, or interrupt the kernel instead."""
        msg_id = kc.execute(code, allow_stdin=allow_stdin)
        prompts, reply = [], None
        deadline = time.time() + timeout
        while reply is None and time.time() < deadline:
            try:
                m = kc.get_stdin_msg(timeout=0.2)
                prompts.append(m["content"])
                if interrupt:
                    time.sleep(0.3)
                    km.interrupt_kernel()
                else:
                    kc.input(answer)
            except queue.Empty:
                pass
            try:
                r = kc.get_shell_msg(timeout=0.05)
                if r["parent_header"].get("msg_id") == msg_id:
                    reply = r
            except queue.Empty:
                pass
        outputs = []
        while True:
            m = kc.get_iopub_msg(timeout=10)
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                break
            c = m["content"]
            if m["msg_type"] == "execute_result":
                outputs.append(["result", c["data"]["text/plain"]])
            elif m["msg_type"] == "error":
                outputs.append(["error", c["ename"], c["evalue"]])
            elif m["msg_type"] == "stream":
                outputs.append([c["name"], c["text"]])
        return {"status": reply["content"]["status"] if reply else "no reply", "prompts": prompts, "outputs": outputs}

    results["warmup"] = run('import { input } from "reglab";')
    results["prompt"] = run('prompt("name? ", "dflt")', answer="Ada")
    results["prompt_default"] = run('prompt("name? ", "dflt")', answer="")
    results["input"] = run('await input("colour? ")', answer="green")
    results["not_allowed"] = run('prompt("x")', allow_stdin=False)
    results["interrupt_prompt"] = run('console.log("asking");\nprompt("never answered")', interrupt=True)
    results["after_prompt"] = run("1 + 1")
    results["interrupt_input"] = run('await input("never answered")', interrupt=True)
    results["after_input"] = run('"still here"')
    print(json.dumps(results))
    kc.stop_channels()
    km.shutdown_kernel(now=False)


if __name__ == "__main__":
    main()
