# The throwaway MariaDB helper (mariadb.py) itself: start, SQL round trips including binary
# values, stop/start keeps the data, SIGKILL then start recovers. Does not involve the strata
# server, so it runs for every STRATA_SERVER_KIND.
import os
import unittest

from mariadb import MariaDB, MariaDBError, shared

BLOB = bytes(range(256)) + b"\x00\r\n\t\\'\"NULL"


class MariaDBHarnessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.db = MariaDB().start()

    @classmethod
    def tearDownClass(cls):
        cls.db.destroy()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        if not self.db.alive():  # a failed test may have left it stopped
            self.db.start()

    def test_01_start_create_insert_query(self):
        db = self.db
        self.assertTrue(os.path.exists(db.socket))
        self.assertLess(len(db.socket), 108)
        self.assertEqual(db.host, "127.0.0.1")
        self.assertIsInstance(db.port, int)
        self.assertEqual(db.scalar("SELECT CURRENT_USER()"), "strata@localhost")
        db.query("CREATE TABLE kv (k VARBINARY(64) PRIMARY KEY, v LONGBLOB, n INT)",
                 database=db.database)
        db.query("INSERT INTO kv VALUES (%s, %s, 7), ('text', 'a\tb\nc', NULL)"
                 % (MariaDB.literal(b"bin\xffkey"), MariaDB.literal(BLOB)), db.database)
        # HEX() of a string column gives its bytes (HEX() of a number would give the number).
        self.assertEqual(db.query_hex("SELECT HEX(k), HEX(v), HEX(IF(n, 'x', NULL)) FROM kv "
                                      "ORDER BY k", db.database),
                         [[b"bin\xffkey", BLOB, b"x"], [b"text", b"a\tb\nc", None]])
        # Plain query: batch escapes undone, NULL -> None, several statements in one call.
        self.assertEqual(db.query("SELECT 1; SELECT k, v, n FROM kv WHERE k = 'text'",
                                  db.database),
                         [["1"], ["text", "a\tb\nc", None]])
        with self.assertRaises(MariaDBError):
            db.query("SELECT * FROM no_such_table", db.database)

    def test_02_stop_start_keeps_data(self):
        db = self.db
        db.query("CREATE TABLE keep (id INT PRIMARY KEY, v BLOB)", db.database)
        db.query("INSERT INTO keep VALUES (1, %s)" % MariaDB.literal(BLOB), db.database)
        port, sock = db.port, db.socket
        self.assertEqual(db.stop(), 0)
        self.assertFalse(db.alive())
        with self.assertRaises(MariaDBError):
            db.query("SELECT 1")
        db.start()
        self.assertEqual((db.port, db.socket), (port, sock))  # same address after a restart
        self.assertEqual(db.query_hex("SELECT HEX(v) FROM keep WHERE id = 1", db.database),
                         [[BLOB]])

    def test_03_kill_then_start(self):
        db = self.db
        db.query("CREATE TABLE crash (id INT PRIMARY KEY) ENGINE=InnoDB", db.database)
        db.query("INSERT INTO crash VALUES (1), (2), (3)", db.database)
        pid = db.pid
        db.kill()
        self.assertFalse(db.alive())
        self.assertIsNone(db.pid)
        db.start()
        self.assertNotEqual(db.pid, pid)
        # innodb_flush_log_at_trx_commit=2 writes the log at commit: a process crash keeps it.
        self.assertEqual(db.query("SELECT COUNT(*) FROM crash", db.database), [["3"]])
        db.query("INSERT INTO crash VALUES (4)", db.database)

    def test_04_shared_instance(self):
        a = shared()
        self.assertIs(shared(), a)
        self.assertEqual(a.scalar("SELECT 1"), "1")
        env = a.env()
        self.assertEqual(sorted(env), sorted([
            "STRATA_TEST_MYSQL_SOCKET", "STRATA_TEST_MYSQL_HOST", "STRATA_TEST_MYSQL_PORT",
            "STRATA_TEST_MYSQL_USER", "STRATA_TEST_MYSQL_PASSWORD",
            "STRATA_TEST_MYSQL_DATABASE", "STRATA_TEST_MYSQL_PID"]))


if __name__ == "__main__":
    unittest.main()
