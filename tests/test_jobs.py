"""generator.jobs.Fingerprinter: the same inputs give the same fingerprint, whatever came before."""

from __future__ import annotations

from dataclasses import dataclass

from generator.jobs import Fingerprinter, Job


@dataclass(frozen=True)
class Big:
    name: str


def big_name(value: Big) -> bytes:
    return value.name.encode()


STAND_INS = {Big: big_name}  # Big values stand in by their name


def job(path: str, inputs: object, salt: bytes = b"") -> Job:
    return Job(path, inputs, lambda: b"", salt)


def test_a_fingerprint_is_its_inputs_alone():
    one = Fingerprinter(b"settings", STAND_INS)
    page = job("a/index.html", ("page.html", (1, "two", None), {"b": 2, "a": 1}, Big("x")))
    first = one.of(page)
    one.of(job("feed.xml", tuple(range(50_000))))  # a big one in between: the pickler is reused
    assert one.of(page) == first == Fingerprinter(b"settings", STAND_INS).of(page)
    shared = ("t", 1)
    assert one.of(job("p", (shared, shared))) == one.of(job("p", (("t", 1), ("t", 1))))  # sharing: no memo


def test_each_part_of_a_job_changes_its_fingerprint():
    one = Fingerprinter(b"settings", STAND_INS)
    base = one.of(job("p", ("t", Big("x"))))
    assert len({base, one.of(job("q", ("t", Big("x")))), one.of(job("p", ("t", Big("y")))),
                one.of(job("p", ("t", Big("x")), b"salt")), one.of(job("p", ("u", Big("x")))),
                Fingerprinter(b"other", STAND_INS).of(job("p", ("t", Big("x"))))}) == 6
    # a value with a stand-in is known by it alone, and dicts by their items in any order
    assert one.of(job("p", ("t", Big("x")))) == one.of(job("p", ("t", b"x")))
    assert one.of(job("p", ({"a": 1, "b": 2},))) == one.of(job("p", ({"b": 2, "a": 1},)))


@dataclass(frozen=True)
class Small:
    text: str
    inner: tuple


@dataclass(frozen=True)
class Twin:  # Small's fields, another class
    text: str
    inner: tuple


def test_a_dataclass_is_known_by_its_class_and_every_field():
    one = Fingerprinter(b"settings", STAND_INS)
    base = one.of(job("p", (Small("a", (1, Big("x"))),)))
    assert base == one.of(job("p", (Small("a", (1, Big("x"))),)))  # equal values, other objects
    assert len({base, one.of(job("p", (Small("b", (1, Big("x"))),))), one.of(job("p", (Small("a", (2, Big("x"))),))),
                one.of(job("p", (Small("a", (1, Big("y"))),))),  # a stand-in inside a field is still found
                one.of(job("p", (Twin("a", (1, Big("x"))),))), one.of(job("p", (("a", (1, Big("x"))),)))}) == 6
    # a view inside a dataclass is known by its stand-in too, as it is inside a tuple
    assert one.of(job("p", (Small("a", (1, Big("x"))),))) == one.of(job("p", (Small("a", (1, b"x")),)))


def test_a_list_of_stand_ins_is_known_by_their_digests_in_order():
    """A listing's views are all of one class: taken in one go, each still counts, in its place."""
    one = Fingerprinter(b"settings", STAND_INS)
    base = one.of(job("p", ("t", [Big("x"), Big("y")])))
    assert base == one.of(job("p", ("t", (Big("x"), Big("y")))))  # a list is a tuple, as before
    assert len({base, one.of(job("p", ("t", [Big("y"), Big("x")]))), one.of(job("p", ("t", [Big("x")]))),
                one.of(job("p", ("t", [Big("x"), Big("z")]))), one.of(job("p", ("t", [Big("x"), "y"]))),
                one.of(job("p", ("t", [])))}) == 6
