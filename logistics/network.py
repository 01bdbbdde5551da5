"""Travel between branches: from travel.csv, from a road graph (networkx), or as the crow flies."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping

import networkx as nx

from logistics.model import Branch, Leg

# Without any road data: great-circle km times a detour factor, at a rural average speed.
DETOUR_FACTOR = 1.3
FALLBACK_KMH = 60.0


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in km on a sphere of radius 6371 km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def road_graph(roads: Iterable[tuple[str, str, float, float]]) -> nx.Graph:
    """An undirected graph of road segments (from, to, km, speed_kmh), weighted by minutes."""
    graph = nx.Graph()
    for a, b, km, speed in roads:
        minutes = km / speed * 60.0
        if graph.has_edge(a, b) and graph[a][b]["minutes"] <= minutes:
            continue  # two roads between the same points: the faster one is used
        graph.add_edge(a, b, km=km, minutes=minutes)
    return graph


def legs_from_graph(graph: nx.Graph, branch_ids: Iterable[str]) -> dict[tuple[str, str], Leg]:
    """Fastest path between every pair of branches: its km and minutes.

    Raises KeyError naming a branch that no road reaches.
    """
    return _fastest_legs(graph, list(branch_ids), given_pairs=False)


def legs_from_table(
    rows: Iterable[tuple[str, str, float, float]], branch_ids: Iterable[str]
) -> dict[tuple[str, str], Leg]:
    """travel.csv rows are the truth; pairs it lacks follow its rows as a directed graph."""
    graph = nx.DiGraph()
    for a, b, km, minutes in rows:
        graph.add_edge(a, b, km=km, minutes=minutes)
    return _fastest_legs(graph, list(branch_ids), given_pairs=True)


def _fastest_legs(
    graph: nx.Graph, ids: list[str], *, given_pairs: bool
) -> dict[tuple[str, str], Leg]:
    """km and minutes of the fastest path between every two branches; with `given_pairs`, an
    edge between the two is used as it is (a travel.csv row). KeyError for an unreachable one."""
    legs: dict[tuple[str, str], Leg] = {}
    for a in ids:
        if a not in graph:
            raise KeyError(a)
        minutes, paths = nx.single_source_dijkstra(graph, a, weight="minutes")
        for b in ids:
            if a == b:
                legs[(a, b)] = Leg(km=0.0, minutes=0.0)
            elif b not in minutes:
                raise KeyError(b)
            elif given_pairs and graph.has_edge(a, b):
                edge = graph[a][b]
                legs[(a, b)] = Leg(km=float(edge["km"]), minutes=float(edge["minutes"]))
            else:
                km = sum(graph[u][v]["km"] for u, v in itertools.pairwise(paths[b]))
                legs[(a, b)] = Leg(km=km, minutes=float(minutes[b]))
    return legs


def legs_as_the_crow_flies(branches: Mapping[str, Branch]) -> dict[tuple[str, str], Leg]:
    """Fallback without road data: great-circle km x DETOUR_FACTOR at FALLBACK_KMH."""
    legs: dict[tuple[str, str], Leg] = {}
    for a, ba in branches.items():
        for b, bb in branches.items():
            km = great_circle_km(ba.lat, ba.lon, bb.lat, bb.lon) * DETOUR_FACTOR
            legs[(a, b)] = Leg(km=km, minutes=km / FALLBACK_KMH * 60.0)
    return legs
