# Differential test of the key specs: every command and subcommand the server lists in COMMAND LIST
# is compared with a stock redis-server in what COMMAND INFO says about its keys (the key-spec
# field, first/last/step and the movablekeys flag; other fields such as tips may legitimately
# differ), in COMMAND DOCS's key_spec_index of each key argument, and in COMMAND
# GETKEYSANDFLAGS of an invocation generated from the command's own arity and key specs (key
# names k1, k2..., a count of 2 for each numkeys argument, filler arguments). Raw reply bytes
# must be identical, in RESP2 and RESP3. Nothing here is a hand-written list of commands, so a
# command added to the table is covered by these tests at once.
import unittest

from harness import HOST, RespConnection, RespMap, parse_reply, start_reference_pair

FILLER = "x"


def _elements(raw):
    """The raw bytes of each element of the aggregate reply `raw` (array, set or map)."""
    head_end = raw.index(b"\r\n") + 2
    out = []
    pos = head_end
    while pos < len(raw):
        _, end = parse_reply(raw, pos)
        out.append(raw[pos:end])
        pos = end
    return out


def _pairs(v):
    """A RESP2 flat array or a RESP3 map as a dict keyed by str."""
    items = list(v) if isinstance(v, RespMap) else list(zip(v[0::2], v[1::2]))
    return {(k.decode() if isinstance(k, bytes) else k): val for k, val in items}


def info_key_fields(raw):
    """From COMMAND INFO <one name>'s raw reply: (first, last, step) bytes, movablekeys, key-spec
    field bytes. None for an unknown command."""
    entries = _elements(raw)
    if len(entries) != 1 or entries[0][:1] not in (b"*",):
        return None
    fields = _elements(entries[0])
    flags, _ = parse_reply(fields[2])
    return (fields[3] + fields[4] + fields[5], "movablekeys" in flags, fields[8])


def key_specs_of(info):
    """The decoded key specs of one COMMAND INFO entry, as dicts."""
    specs = []
    for s in info[8]:
        d = _pairs(s)
        bs, fk = _pairs(d["begin_search"]), _pairs(d["find_keys"])
        specs.append({"flags": [str(f) for f in d["flags"]],
                      "bs": bs["type"].decode(), "bs_spec": _pairs(bs["spec"]),
                      "fk": fk["type"].decode(), "fk_spec": _pairs(fk["spec"])})
    return specs


def generate_invocation(name, arity, specs, extra_limit=12):
    """An argv for `name` ("object|encoding" -> OBJECT ENCODING ...) that fits its arity and
    names at least one key through each index spec: two keys for ranges that run to the end and
    for keynum specs; a keyword spec gets its keyword at its startfrom. None when no layout fits."""
    parts = [p.upper() for p in name.split("|")]
    lo = abs(arity)
    for argc in range(max(lo, len(parts) + 1), lo + extra_limit):
        if arity > 0 and argc != arity:
            continue
        slots = {i: p for i, p in enumerate(parts)}
        ok, keys, variadic_short = True, 0, False
        for spec in specs:
            if spec["bs"] == "index":
                first = spec["bs_spec"]["index"]
            elif spec["bs"] == "keyword" and spec["bs_spec"]["startfrom"] > 0:
                at = spec["bs_spec"]["startfrom"]  # XREAD ... STREAMS k1 k2 id id
                if at in slots:
                    ok = False
                    break
                slots[at] = spec["bs_spec"]["keyword"].decode()
                first = at + 1
            else:
                return None
            fs = spec["fk_spec"]
            if spec["fk"] == "range":
                last = first + fs["lastkey"] if fs["lastkey"] >= 0 else argc + fs["lastkey"]
                if fs["lastkey"] < 0 and fs.get("limit", 0) > 1:  # keys: 1/limit of the rest
                    last = first + (last - first + 1) // fs["limit"] - 1
                positions = list(range(first, last + 1, fs["keystep"]))
                if fs["lastkey"] < 0 and len(positions) < 2:
                    variadic_short = True
            else:
                count_at = first + fs["keynumidx"]
                if count_at in slots:
                    ok = False
                    break
                slots[count_at] = "2"
                start = first + fs["firstkey"]
                positions = [start, start + fs["keystep"]]
            if not positions:
                ok = False
                break
            for p in positions:
                if p in slots:
                    ok = False
                    break
                keys += 1
                slots[p] = "k%d" % keys
        if not ok or variadic_short or any(p >= argc for p in slots):
            continue
        return [slots.get(i, FILLER) for i in range(argc)]
    return None


class KeySpecsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ref, cls.sut = start_reference_pair()
        with RespConnection(HOST, cls.sut.port) as c:
            cls.names = sorted(n.decode() for n in c.cmd("COMMAND", "LIST"))
            cls.infos = {n: c.cmd("COMMAND", "INFO", n)[0] for n in cls.names}

    @classmethod
    def tearDownClass(cls):
        cls.sut.stop()
        cls.ref.stop()

    def _connect(self, resp3):
        conns = []
        for srv in (self.ref, self.sut):
            c = RespConnection(HOST, srv.port, timeout=5.0)
            self.addCleanup(c.close)
            if resp3:
                c.cmd("HELLO", "3")
            conns.append(c)
        return conns

    def _keyed(self):
        return [n for n in self.names if self.infos[n][8]]

    def test_generated_from_the_table(self):
        # The generator must cover what the table has: every keyed command gets an invocation.
        keyed = self._keyed()
        self.assertGreater(len(keyed), 100)
        missing = [n for n in keyed
                   if generate_invocation(n, self.infos[n][1], key_specs_of(self.infos[n])) is None]
        self.assertEqual(missing, [], "no invocation could be generated for these")

    def test_command_info_key_fields(self):
        for resp3 in (False, True):
            ref, sut = self._connect(resp3)
            problems = []
            for n in self.names:
                rr, _ = ref.call("COMMAND", "INFO", n)
                sr, _ = sut.call("COMMAND", "INFO", n)
                if rr == sr:
                    continue
                rf, sf = info_key_fields(rr), info_key_fields(sr)
                if rf is None or sf is None:
                    problems.append("%s: redis %r\n  ours  %r" % (n, rr[:200], sr[:200]))
                    continue
                for what, a, b in zip(("first/last/step", "movablekeys", "key specs"), rf, sf):
                    if a != b:
                        problems.append("%s %s: redis %r\n  ours  %r" % (n, what, a, b))
            self.assertEqual(problems, [], "RESP%d:\n" % (3 if resp3 else 2)
                             + "\n".join(problems))

    def test_command_docs_key_spec_index(self):
        def key_args(conn, name):
            reply = conn.cmd("COMMAND", "DOCS", name)
            docs = _pairs(reply[1] if not isinstance(reply, RespMap) else reply[0][1])
            found = []

            def walk(args):
                for a in args:
                    d = _pairs(a)
                    if d["type"] == b"key" or "key_spec_index" in d:
                        found.append((d["name"], d["type"], d.get("key_spec_index")))
                    walk(d.get("arguments", []))
            walk(docs.get("arguments", []))
            return found

        ref, sut = self._connect(False)
        problems = ["%s: redis %r, ours %r" % (n, a, b) for n in self.names
                    for a, b in [(key_args(ref, n), key_args(sut, n))] if a != b]
        self.assertEqual(problems, [], "\n".join(problems))

    def _compare_getkeys(self, invocations):
        for resp3 in (False, True):
            ref, sut = self._connect(resp3)
            problems = []
            for argv in invocations:
                rr, _ = ref.call("COMMAND", "GETKEYSANDFLAGS", *argv)
                sr, _ = sut.call("COMMAND", "GETKEYSANDFLAGS", *argv)
                if rr != sr:
                    problems.append("%s: redis %r\n  ours  %r" % (" ".join(argv), rr, sr))
            self.assertEqual(problems, [], "RESP%d:\n" % (3 if resp3 else 2)
                             + "\n".join(problems))

    def test_getkeysandflags_generated(self):
        invocations = []
        for n in self._keyed():
            argv = generate_invocation(n, self.infos[n][1], key_specs_of(self.infos[n]))
            if argv is not None:
                invocations.append(argv)
        self._compare_getkeys(invocations)

    def test_getkeysandflags_variable_and_edge_cases(self):
        self._compare_getkeys([
            ["SET", "k", "v"], ["SET", "k", "v", "GET"], ["SET", "k", "v", "get", "EX", "10"],
            ["SET", "k", "v", "NX"], ["SET", "k", "v", "XX", "KEEPTTL"],
            ["LMOVE", "a", "b", "left", "left"], ["BLMOVE", "a", "b", "LEFT", "RIGHT", "0"],
            ["COPY", "a", "b", "DB", "1"], ["MOVE", "a", "1"],
            ["ZUNIONSTORE", "d", "3", "a", "b", "c", "WEIGHTS", "1", "2", "3"],
            ["ZUNION", "0", "a"], ["ZUNION", "abc", "a"], ["ZUNION", "5", "a", "b"],
            ["ZUNION", "-1", "a"], ["LMPOP", "2", "a", "b", "LEFT", "COUNT", "3"],
            ["BZMPOP", "0", "1", "a", "MIN"], ["SINTERCARD", "1", "a", "LIMIT", "2"],
            ["MSET", "a", "1", "b", "2", "c", "3"], ["MSET", "a", "1", "b"],
            ["BLPOP", "a", "b", "c", "0"], ["DEL", "a", "b", "c"],
            ["SPUBLISH", "ch", "m"], ["PING"], ["GET"], ["GET", "a", "b"], ["NOSUCH", "a"],
            ["OBJECT", "ENCODING", "k"], ["OBJECT", "HELP"],
        ])


if __name__ == "__main__":
    unittest.main()
