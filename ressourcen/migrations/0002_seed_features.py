"""Seed the features every installation needs; the coordinator adds more in the admin."""

from django.db import migrations

FEATURES = [
    # slug, German, English, category, icon
    ("stufenloser-zugang", "Stufenloser Zugang", "Step-free access", "accessibility", "step-free"),
    ("aufzug", "Aufzug", "Lift", "accessibility", "lift"),
    ("barrierefreies-wc", "Barrierefreies WC", "Accessible toilet", "accessibility", "wc"),
    ("induktionsschleife", "Induktionsschleife", "Hearing loop", "accessibility", "hearing-loop"),
    ("ruhiger-raum", "Ruhiger Raum", "Quiet room", "accessibility", "quiet"),
    ("gebaerdensprache", "Gebärdensprache", "Sign language", "accessibility", "sign-language"),
    ("leichte-sprache", "Leichte Sprache", "Easy language", "accessibility", "easy-language"),
    (
        "behindertenparkplatz",
        "Parkplatz für Menschen mit Behinderung",
        "Disabled parking",
        "accessibility",
        "parking",
    ),
    ("blindenleitsystem", "Taktiles Leitsystem", "Tactile guidance", "accessibility", "tactile"),
    ("kueche", "Küche", "Kitchen", "amenity", "kitchen"),
    ("wickelraum", "Wickelraum", "Baby changing room", "amenity", "baby"),
    ("garten", "Garten / Außenfläche", "Garden / outdoor area", "amenity", "garden"),
    ("bestuhlung", "Bestuhlung", "Chairs and tables", "amenity", "chairs"),
    ("beamer", "Beamer", "Projector", "technical", "projector"),
    ("beschallung", "Beschallung", "PA system", "technical", "speaker"),
    ("wlan", "WLAN", "Wi-Fi", "technical", "wifi"),
    ("buehne", "Bühne", "Stage", "technical", "stage"),
    ("verdunkelung", "Verdunkelung", "Blackout", "technical", "blackout"),
]


def seed(apps, schema_editor):
    Feature = apps.get_model("ressourcen", "Feature")
    for position, (slug, name, name_en, category, icon) in enumerate(FEATURES):
        Feature.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "name_en": name_en,
                "category": category,
                "icon": icon,
                "position": position * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("ressourcen", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
