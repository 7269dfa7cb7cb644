"""One rule each for slugs, name order and site selection (inventory/names.py)."""

from __future__ import annotations

import pytest

from inventory.errors import InputError
from inventory.model import DeviceType, Site
from inventory.names import natural_key, select_sites, slugify
from playbooks.request_model import Agency


def test_a_tenant_slug_made_from_a_long_unit_name_is_the_one_netbox_already_holds() -> None:
    # Registration created tenants with the slug cut at 50 characters: it must not change.
    agency = Agency(unit_name="Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu", address="Samarinda")
    assert agency.tenant_slug() == "dinas-penanaman-modal-dan-pelayanan-terpadu-satu-p"
    assert Agency(unit_name="Dinas Kesehatan", address="Samarinda").tenant_slug() == "dinas-kesehatan"
    assert Agency(unit_name="!!!", address="Samarinda").tenant_slug() == "agency"


def test_slugs_are_ascii_as_netbox_requires() -> None:
    # NetBox refuses `dinas-kesehatan-café` ("Enter a valid slug"); accents are dropped.
    agency = Agency(unit_name="Dinas Kesehatan Café", address="Samarinda")
    assert agency.tenant_slug() == "dinas-kesehatan-cafe"
    assert DeviceType(manufacturer="Núcleo", model="Señal 2U").slug == "nucleo-senal-2u"
    assert slugify("Ruang  Server_1 (lantai 2)") == "ruang-server-1-lantai-2"
    assert slugify("---") == "x"
    assert len(slugify("a" * 150)) == 100


def test_natural_order_puts_r2_before_r10() -> None:
    names = ["R10", "r2", "R1", "PDU-B", "pdu-a"]
    assert sorted(names, key=natural_key) == ["pdu-a", "PDU-B", "R1", "r2", "R10"]


SITES = [Site(key="dc-kaltim", name="DC Kaltim"), Site(key="drc", name="DRC Balikpapan")]


def test_sites_are_selected_by_key_slug_or_name_in_the_order_asked() -> None:
    assert select_sites(SITES, None) == ["dc-kaltim", "drc"]
    assert select_sites(SITES, ["drc balikpapan ", "DC-KALTIM", "drc"]) == ["drc", "dc-kaltim"]


def test_an_unknown_site_names_the_known_ones() -> None:
    with pytest.raises(InputError, match=r"^unknown site 'nowhere' \(known sites: dc-kaltim, drc\)$") as exc:
        select_sites(SITES, ["drc", "nowhere"])
    assert exc.value.exit_code == 2
