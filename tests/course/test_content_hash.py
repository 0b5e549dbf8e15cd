"""The content hash identifies an activity version: stable for the same bytes, new on edit."""

from __future__ import annotations

from lti_tool.course import activity_from_files, content_hash, load_activity, read_activity_files


def test_the_same_folder_always_has_the_same_hash(mini_path):
    first = load_activity(mini_path)
    second = load_activity(mini_path)
    assert first.content_hash == second.content_hash
    assert len(first.content_hash) == 64 and first.version == first.content_hash[:12]


def test_a_copied_folder_has_the_same_hash(mini, activity_copy):
    assert load_activity(activity_copy).content_hash == mini.content_hash


def test_editing_a_section_creates_a_new_version(mini, activity_copy):
    section = activity_copy / "sections" / "02-key-facts.md"
    section.write_text(section.read_text() + "\nOne more sentence.\n")
    assert load_activity(activity_copy).content_hash != mini.content_hash


def test_adding_a_file_creates_a_new_version(mini, activity_copy):
    (activity_copy / "NOTES.txt").write_text("reviewed by the planner\n")
    assert load_activity(activity_copy).content_hash != mini.content_hash


def test_renaming_keeps_bytes_but_changes_the_hash():
    files = {"a.md": b"x", "b.md": b"y"}
    assert content_hash(files) != content_hash({"a.md": b"x", "c.md": b"y"})
    # Moving bytes between files must not collide either (the listing is length-prefixed).
    assert content_hash({"a": b"bc"}) != content_hash({"ab": b"c"})


def test_hidden_files_do_not_change_the_version(mini, activity_copy):
    (activity_copy / ".DS_Store").write_bytes(b"\x00\x01")
    (activity_copy / "sections" / ".01-welcome.md.swp").write_bytes(b"swap")
    assert load_activity(activity_copy).content_hash == mini.content_hash


def test_a_stored_snapshot_rebuilds_the_same_version(mini, mini_path):
    files = read_activity_files(mini_path)
    rebuilt = activity_from_files(files)
    assert rebuilt == mini
    assert rebuilt.sections[1].html == mini.sections[1].html
    assert dict(rebuilt.files) == files
