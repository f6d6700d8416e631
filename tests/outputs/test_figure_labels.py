import pytest

from analysis.outputs.figures.labels import Box, box_at, place_labels, text_size


def test_text_size_counts_characters_lines_and_entities():
    w1, h1 = text_size("abcd")
    w2, _ = text_size("abcdefgh")
    assert w2 > w1 and h1 > 0
    assert text_size("a&amp;b") == text_size("a&b")
    _, two = text_size("abcd<br>ab")
    assert two == 2 * h1


def test_a_lone_point_gets_its_label_just_above_it():
    (placement,) = place_labels([(100.0, 100.0)], ["orders"], width=400, height=300)
    assert placement is not None and not placement.leader
    assert placement.dx == 0 and placement.dy < 0          # above (y down)
    assert placement.box.y1 <= 100 - 6                     # clears the marker


def test_labels_of_coinciding_points_never_overlap_and_stay_inside():
    points = [(200.0, 150.0)] * 6
    texts = [f"context {i}" for i in range(6)]
    placed = place_labels(points, texts, width=400, height=300)
    boxes = [p.box for p in placed if p is not None]
    assert len(boxes) == 6
    assert all(b.inside(400, 300) for b in boxes)
    assert not any(a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert sum(p.leader for p in placed) >= 1           # six labels cannot all sit beside one point


def test_labels_avoid_obstacles_markers_and_the_area_edge():
    caption = Box(0, 0, 120, 16)
    placed = place_labels([(20.0, 30.0), (20.0, 52.0)], ["first", "second"], width=300, height=200, obstacles=[caption])
    markers = [Box(14, 24, 26, 36), Box(14, 46, 26, 58)]
    for p in placed:
        assert p is not None and p.box.inside(300, 200)
        assert not p.box.intersects(caption)
        assert not any(p.box.intersects(m, margin=0.0) for m in markers)


def test_a_label_without_room_is_left_to_the_hover():
    placed = place_labels([(10.0, 10.0)], ["a very long label indeed"], width=40, height=20)
    assert placed == [None]


def test_placement_is_deterministic_and_checks_its_input():
    points = [(50.0 + 3 * i, 80.0) for i in range(8)]
    texts = [f"c{i}" for i in range(8)]
    assert place_labels(points, texts, width=300, height=200) == place_labels(points, texts, width=300, height=200)
    with pytest.raises(ValueError, match="2 points but 1 labels"):
        place_labels(points[:2], texts[:1], width=300, height=200)


def test_box_at_is_centred():
    assert box_at(10, 20, 4, 6) == Box(8, 17, 12, 23)
