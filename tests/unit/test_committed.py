"""One rule for what a commitment is charged to and what its references mean
(capacity/committed.py), used by bandwidth, hosting compute, findings and the commitments
of held requests alike."""

from __future__ import annotations

from capacity.bandwidth import compute_bandwidth
from capacity.committed import CommitmentScope
from capacity.compute import compute_clusters
from capacity.findings import data_quality_findings
from capacity.policy import Policy
from inventory.model import Cluster, Commitment, PowerFeed, PowerPanel, Rack, Site, Snapshot, Uplink


def dc() -> Snapshot:
    return Snapshot(
        sites=[Site(key="dc", name="DC Kaltim"), Site(key="drc", name="DRC")],
        racks=[Rack(key="7", name="R1", site="dc"), Rack(key="8", name="R1", site="drc")],
        power_panels=[PowerPanel(key="p", name="PA", site="dc")],
        power_feeds=[PowerFeed(key="31", name="R1-A", panel="p", rack="7")],
        uplinks=[Uplink(key="u1", name="U1", site="dc", provider="x", commit_kbps=1_000_000),
                 Uplink(key="u2", name="U2", site="drc", provider="x", commit_kbps=1_000_000)],
        clusters=[Cluster(key="c1", name="vmw", site="drc")],
    )


def test_a_commitment_is_charged_to_its_site_else_its_racks_else_its_clusters() -> None:
    scope = CommitmentScope(dc())
    assert scope.site_of(Commitment(request_id="A", site="dc", rack="8")) == "dc"
    assert scope.site_of(Commitment(request_id="B", rack="8")) == "drc"
    assert scope.site_of(Commitment(request_id="C", cluster="c1")) == "drc"
    assert scope.site_of(Commitment(request_id="D")) is None
    assert scope.cluster_of(Commitment(request_id="E", rack="8", vcpus=2)) == "c1"  # the site's only one
    assert scope.cluster_of(Commitment(request_id="F", site="dc", vcpus=2)) is None  # dc has none


def test_hosting_committed_on_a_cluster_counts_its_bandwidth_at_the_clusters_site() -> None:
    # A hosting commitment naming its cluster but no site (a file snapshot's, or one read
    # back): its bandwidth counts at the cluster's site, as `apply_commitments` charges it,
    # and nothing is reported as charged to nowhere.
    snap = dc().model_copy(update={"commitments": [
        Commitment(request_id="REQ-1", cluster="c1", vcpus=4, bandwidth_mbps=100)]})
    _, sites = compute_bandwidth(snap, Policy())
    assert sites["drc"].committed_kbps == 100_000
    assert compute_clusters(snap, Policy())["c1"].vcpus_used == 4
    assert [f for f in data_quality_findings(snap) if f.kind == "commitment_unassigned"] == []


def test_references_recorded_as_names_resolve_to_this_snapshots_keys() -> None:
    scope = CommitmentScope(dc())
    cm = Commitment(request_id="REQ-1", site="DC Kaltim", rack="R1-old-key", feeds=["R1-A"], cluster="vmw")
    assert scope.resolve(cm, rack_name="R1") is None
    assert (cm.site, cm.rack, cm.feeds, cm.cluster) == ("dc", "7", ["31"], "c1")
    gone = Commitment(request_id="REQ-2", rack="R9")
    assert scope.resolve(gone) == "rack 'R9' is not in this snapshot"
    no_feed = Commitment(request_id="REQ-3", rack="7", feeds=["R1-B"])
    assert scope.resolve(no_feed) == "feeds ['R1-B'] are not in this snapshot"
    assert scope.tenant_key("nobody", None) is None
