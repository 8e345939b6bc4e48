"""Regenerates the demo catalog shipped in `assistant/demo/*.jsonl` (deterministic, seed 7).

The shop is our own invention: eight product lines a real electronics-and-lifestyle
store would carry, each model in two colours, short reviews whose sentences follow
each model's real strengths and weaknesses, and 24 shoppers with different tastes.
Coffee supplies (beans, filters) are the one thing shoppers buy again and again: the coffee
lovers restock every couple of weeks, so the demo shows "buy again" and the repeat model.
Run `python -m assistant.demo.build_demo` after editing the tables below.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).parent
NOW = datetime(2026, 11, 1, 12, 0, 0)

# (brand, model, price, {attributes}, one-line pitch, {aspect: quality -1..1}), two colours each.
LINES: dict[str, dict] = {
    "Electronics > Keyboards": {
        "noun": "Keyboard",
        "colors": [("black", "white"), ("white", "pink"), ("graphite", "white"), ("black", "silver")],
        "aspects": {
            "noise": ("quiet enough for the office", "the keys are loud, my colleagues complained"),
            "typing": ("typing feels crisp and precise", "the keys feel mushy after a few weeks"),
            "build": ("solid aluminium-like build, no flex", "the case creaks and flexes"),
            "battery": ("the battery lasts weeks", "I have to charge it every few days"),
            "connectivity": ("switches between laptop and tablet instantly", "bluetooth drops now and then"),
        },
        "models": [
            ("Keychron", "K3 Low-Profile Wireless Mechanical", 84.0, {"switch": "brown", "layout": "75%", "connectivity": "bluetooth", "noise": "moderate"}, "slim wireless mechanical board for Mac and Windows", {"noise": 0.2, "typing": 0.8, "build": 0.6, "battery": 0.5, "connectivity": 0.4}),
            ("Keychron", "Q1 Pro Aluminium Mechanical", 199.0, {"switch": "red", "layout": "75%", "connectivity": "bluetooth", "noise": "moderate"}, "heavy CNC aluminium board with hot-swap switches", {"noise": 0.1, "typing": 0.9, "build": 1.0, "battery": 0.6, "connectivity": 0.5}),
            ("Logitech", "MX Keys S Wireless", 109.0, {"switch": "scissor", "layout": "full-size", "connectivity": "bluetooth", "noise": "quiet"}, "quiet low-profile keys with smart backlighting", {"noise": 0.9, "typing": 0.7, "build": 0.7, "battery": 0.6, "connectivity": 0.9}),
            ("Logitech", "K380 Multi-Device Bluetooth", 39.0, {"switch": "scissor", "layout": "compact", "connectivity": "bluetooth", "noise": "quiet"}, "pocketable round-key keyboard for three devices", {"noise": 0.8, "typing": 0.2, "build": 0.1, "battery": 0.9, "connectivity": 0.8}),
            ("Razer", "BlackWidow V4 Gaming", 169.0, {"switch": "green clicky", "layout": "full-size", "connectivity": "wired", "noise": "loud"}, "RGB gaming keyboard with macro keys and a media dial", {"noise": -0.9, "typing": 0.7, "build": 0.7, "battery": 0.0, "connectivity": 0.6}),
            ("Corsair", "K70 Core RGB", 99.0, {"switch": "red linear", "layout": "full-size", "connectivity": "wired", "noise": "moderate"}, "linear switches with sound-dampening foam", {"noise": 0.3, "typing": 0.6, "build": 0.5, "battery": 0.0, "connectivity": 0.6}),
            ("Microsoft", "Ergonomic Keyboard", 59.0, {"switch": "membrane", "layout": "split ergonomic", "connectivity": "wired", "noise": "quiet"}, "split, cushioned palm rest for long typing days", {"noise": 0.7, "typing": 0.4, "build": 0.3, "battery": 0.0, "connectivity": 0.5}),
            ("Cherry", "KW 7100 Mini BT", 45.0, {"switch": "scissor", "layout": "compact", "connectivity": "bluetooth", "noise": "quiet"}, "small quiet travel keyboard with three channels", {"noise": 0.8, "typing": 0.3, "build": 0.2, "battery": 0.4, "connectivity": 0.3}),
            ("Akko", "5075B Plus Silent", 79.0, {"switch": "silent pink", "layout": "75%", "connectivity": "bluetooth", "noise": "very quiet"}, "dampened silent switches and a volume knob", {"noise": 1.0, "typing": 0.6, "build": 0.5, "battery": 0.7, "connectivity": 0.2}),
            ("Das Keyboard", "MacTigr Mechanical", 229.0, {"switch": "low-profile red", "layout": "full-size", "connectivity": "wired", "noise": "moderate"}, "premium low-profile board with Mac layout", {"noise": 0.3, "typing": 0.8, "build": 0.9, "battery": 0.0, "connectivity": 0.7}),
        ],
    },
    "Electronics > Mice": {
        "noun": "Mouse",
        "colors": [("black", "white"), ("graphite", "pale grey"), ("black", "pink"), ("white", "blue")],
        "aspects": {
            "comfort": ("fits my hand perfectly, no wrist pain", "my hand cramps after an hour"),
            "clicks": ("the clicks are nearly silent", "the clicks are loud and hollow"),
            "tracking": ("tracking is precise even on glass", "the cursor skips on my desk"),
            "battery": ("battery lasts months", "eats batteries fast"),
            "scroll": ("the scroll wheel is smooth and fast", "the scroll wheel rattles"),
        },
        "models": [
            ("Logitech", "MX Master 3S", 99.0, {"connectivity": "bluetooth", "dpi": 8000, "grip": "palm", "noise": "quiet"}, "ergonomic productivity mouse with quiet clicks", {"comfort": 0.9, "clicks": 0.9, "tracking": 0.9, "battery": 0.7, "scroll": 1.0}),
            ("Logitech", "M240 Silent Bluetooth", 29.0, {"connectivity": "bluetooth", "dpi": 4000, "grip": "claw", "noise": "very quiet"}, "compact mouse with silent touch clicks", {"comfort": 0.4, "clicks": 1.0, "tracking": 0.4, "battery": 0.8, "scroll": 0.2}),
            ("Razer", "DeathAdder V3", 89.0, {"connectivity": "wired", "dpi": 30000, "grip": "palm", "noise": "loud"}, "ultralight esports mouse", {"comfort": 0.8, "clicks": -0.5, "tracking": 1.0, "battery": 0.0, "scroll": 0.5}),
            ("Razer", "Basilisk V3 X HyperSpeed", 59.0, {"connectivity": "wireless", "dpi": 18000, "grip": "palm", "noise": "moderate"}, "wireless gaming mouse with nine programmable buttons", {"comfort": 0.6, "clicks": 0.0, "tracking": 0.8, "battery": 0.6, "scroll": 0.4}),
            ("Microsoft", "Bluetooth Ergonomic Mouse", 49.0, {"connectivity": "bluetooth", "dpi": 2400, "grip": "palm", "noise": "quiet"}, "sculpted shape with a thumb rest", {"comfort": 0.7, "clicks": 0.5, "tracking": 0.3, "battery": 0.7, "scroll": 0.3}),
            ("Corsair", "Harpoon RGB Wireless", 49.0, {"connectivity": "wireless", "dpi": 10000, "grip": "claw", "noise": "moderate"}, "light wireless gaming mouse", {"comfort": 0.3, "clicks": 0.1, "tracking": 0.7, "battery": 0.2, "scroll": 0.4}),
            ("Anker", "Vertical Ergonomic Mouse", 25.0, {"connectivity": "wireless", "dpi": 1600, "grip": "vertical", "noise": "moderate"}, "handshake-position mouse for sore wrists", {"comfort": 0.8, "clicks": -0.2, "tracking": 0.1, "battery": 0.3, "scroll": -0.2}),
            ("Apple", "Magic Mouse", 79.0, {"connectivity": "bluetooth", "dpi": 1300, "grip": "fingertip", "noise": "silent"}, "multi-touch surface for gestures", {"comfort": -0.6, "clicks": 0.8, "tracking": 0.6, "battery": 0.4, "scroll": 0.9}),
            ("Keychron", "M3 Mini Wireless", 39.0, {"connectivity": "wireless", "dpi": 4000, "grip": "claw", "noise": "quiet"}, "small tri-mode mouse", {"comfort": 0.2, "clicks": 0.6, "tracking": 0.7, "battery": 0.5, "scroll": 0.5}),
            ("Logitech", "Lift Vertical", 69.0, {"connectivity": "bluetooth", "dpi": 4000, "grip": "vertical", "noise": "quiet"}, "57-degree vertical mouse for small and medium hands", {"comfort": 1.0, "clicks": 0.8, "tracking": 0.6, "battery": 0.8, "scroll": 0.6}),
        ],
    },
    "Electronics > Headphones": {
        "noun": "Headphones",
        "colors": [("black", "silver"), ("midnight blue", "sand"), ("black", "white"), ("white", "green")],
        "aspects": {
            "anc": ("noise cancelling blocks the office chatter", "noise cancelling barely does anything"),
            "sound": ("rich sound with deep bass", "the sound is thin and tinny"),
            "comfort": ("comfortable for a whole flight", "they squeeze my head after an hour"),
            "battery": ("the battery easily lasts a week of commuting", "the battery drains fast"),
            "mic": ("people say I sound clear on calls", "the microphone picks up everything around me"),
        },
        "models": [
            ("Sony", "WH-1000XM5 Noise Cancelling", 349.0, {"type": "over-ear", "anc": True, "battery_hours": 30, "connectivity": "bluetooth"}, "class-leading noise cancelling over-ears", {"anc": 1.0, "sound": 0.9, "comfort": 0.8, "battery": 0.8, "mic": 0.6}),
            ("Sony", "WH-CH720N", 129.0, {"type": "over-ear", "anc": True, "battery_hours": 35, "connectivity": "bluetooth"}, "light noise cancelling headphones for everyday", {"anc": 0.4, "sound": 0.5, "comfort": 0.7, "battery": 0.9, "mic": 0.3}),
            ("Bose", "QuietComfort Ultra", 429.0, {"type": "over-ear", "anc": True, "battery_hours": 24, "connectivity": "bluetooth"}, "immersive audio and plush cushions", {"anc": 1.0, "sound": 0.8, "comfort": 1.0, "battery": 0.4, "mic": 0.7}),
            ("Apple", "AirPods Pro 2", 249.0, {"type": "in-ear", "anc": True, "battery_hours": 6, "connectivity": "bluetooth"}, "earbuds with adaptive noise cancelling", {"anc": 0.8, "sound": 0.7, "comfort": 0.7, "battery": 0.2, "mic": 0.8}),
            ("Jabra", "Evolve2 65 Office", 199.0, {"type": "on-ear", "anc": False, "battery_hours": 37, "connectivity": "bluetooth"}, "office headset with a boom microphone", {"anc": -0.3, "sound": 0.3, "comfort": 0.6, "battery": 0.9, "mic": 1.0}),
            ("Sennheiser", "Momentum 4 Wireless", 299.0, {"type": "over-ear", "anc": True, "battery_hours": 60, "connectivity": "bluetooth"}, "audiophile tuning with a 60 hour battery", {"anc": 0.7, "sound": 1.0, "comfort": 0.6, "battery": 1.0, "mic": 0.4}),
            ("Anker", "Soundcore Life Q30", 79.0, {"type": "over-ear", "anc": True, "battery_hours": 40, "connectivity": "bluetooth"}, "budget noise cancelling with a long battery", {"anc": 0.5, "sound": 0.5, "comfort": 0.5, "battery": 0.9, "mic": -0.2}),
            ("JBL", "Tune 520BT", 49.0, {"type": "on-ear", "anc": False, "battery_hours": 57, "connectivity": "bluetooth"}, "light foldable on-ears with punchy bass", {"anc": -0.7, "sound": 0.4, "comfort": 0.2, "battery": 0.9, "mic": 0.1}),
            ("Audio-Technica", "ATH-M50x Studio", 149.0, {"type": "over-ear", "anc": False, "battery_hours": 0, "connectivity": "wired"}, "wired studio monitors for mixing", {"anc": -0.5, "sound": 1.0, "comfort": 0.4, "battery": 0.0, "mic": -0.8}),
            ("Beats", "Studio Pro", 349.0, {"type": "over-ear", "anc": True, "battery_hours": 40, "connectivity": "bluetooth"}, "bold sound with USB-C lossless audio", {"anc": 0.6, "sound": 0.6, "comfort": 0.3, "battery": 0.8, "mic": 0.2}),
        ],
    },
    "Home > Kitchen > Coffee": {
        "noun": "",
        "colors": [("black", "stainless steel"), ("cream", "black"), ("red", "silver"), ("white", "matte black")],
        "aspects": {
            "taste": ("the coffee tastes like a cafe's", "the coffee comes out bitter and lukewarm"),
            "ease": ("easy to use first thing in the morning", "fiddly to fill and set up"),
            "cleaning": ("cleaning takes a minute", "a pain to descale and clean"),
            "noise": ("quiet enough not to wake the house", "the grinder is very loud"),
            "build": ("feels built to last", "plastic parts cracked within months"),
        },
        "models": [
            ("Breville", "Bambino Plus Espresso Machine", 499.0, {"type": "espresso", "capacity_cups": 2, "milk_frother": True}, "fast-heating espresso with automatic milk texturing", {"taste": 0.9, "ease": 0.7, "cleaning": 0.4, "noise": 0.3, "build": 0.8}),
            ("De'Longhi", "Dedica Arte Espresso Machine", 299.0, {"type": "espresso", "capacity_cups": 2, "milk_frother": True}, "slim 15-bar espresso machine with a steam wand", {"taste": 0.7, "ease": 0.3, "cleaning": 0.2, "noise": 0.1, "build": 0.5}),
            ("Nespresso", "Vertuo Next Pod Machine", 169.0, {"type": "pod", "capacity_cups": 1, "milk_frother": False}, "one-touch pods from espresso to mug", {"taste": 0.4, "ease": 1.0, "cleaning": 0.9, "noise": -0.2, "build": 0.2}),
            ("Technivorm", "Moccamaster KBGV Select", 359.0, {"type": "drip", "capacity_cups": 10, "milk_frother": False}, "handmade drip brewer that brews at the right temperature", {"taste": 1.0, "ease": 0.8, "cleaning": 0.7, "noise": 0.6, "build": 1.0}),
            ("OXO", "Brew 8-Cup Coffee Maker", 129.0, {"type": "drip", "capacity_cups": 8, "milk_frother": False}, "SCA-certified drip with a rainmaker showerhead", {"taste": 0.8, "ease": 0.8, "cleaning": 0.6, "noise": 0.7, "build": 0.6}),
            ("Cuisinart", "Grind & Brew 12-Cup", 149.0, {"type": "drip", "capacity_cups": 12, "milk_frother": False}, "built-in burr grinder and programmable timer", {"taste": 0.5, "ease": 0.3, "cleaning": -0.5, "noise": -0.8, "build": 0.2}),
            ("Hamilton Beach", "FlexBrew Single-Serve", 79.0, {"type": "pod", "capacity_cups": 1, "milk_frother": False}, "brews pods or your own grounds", {"taste": 0.1, "ease": 0.7, "cleaning": 0.6, "noise": 0.4, "build": -0.3}),
            ("Bodum", "Chambord French Press 1L", 39.0, {"type": "french press", "capacity_cups": 8, "milk_frother": False}, "classic glass and steel press", {"taste": 0.8, "ease": 0.6, "cleaning": 0.2, "noise": 1.0, "build": 0.4}),
            ("Fellow", "Stagg EKG Electric Kettle", 165.0, {"type": "kettle", "capacity_cups": 4, "milk_frother": False}, "gooseneck pour-over kettle with exact temperature", {"taste": 0.7, "ease": 0.9, "cleaning": 0.8, "noise": 0.8, "build": 0.9}),
            ("Baratza", "Encore ESP Burr Grinder", 199.0, {"type": "grinder", "capacity_cups": 0, "milk_frother": False}, "40 mm burrs from espresso to press", {"taste": 0.9, "ease": 0.6, "cleaning": 0.5, "noise": -0.4, "build": 0.7}),
        ],
    },
    "Office > Desk Lamps": {
        "noun": "Desk Lamp",
        "colors": [("black", "white"), ("silver", "black"), ("white", "oak"), ("brass", "black")],
        "aspects": {
            "light": ("even light with no glare on my screen", "the light flickers at low brightness"),
            "adjust": ("the arm stays exactly where I put it", "the arm droops over time"),
            "controls": ("the touch controls are intuitive", "the touch controls are too sensitive"),
            "build": ("sturdy base, nothing wobbles", "the base is light and it tips over"),
            "eyes": ("my eyes feel less tired in the evening", "the colour temperature hurts my eyes"),
        },
        "models": [
            ("BenQ", "ScreenBar Halo Monitor Light", 179.0, {"type": "monitor light bar", "dimmable": True, "color_temperature": "2700-6500K"}, "clip-on bar that lights the desk, not the screen", {"light": 1.0, "adjust": 0.7, "controls": 0.9, "build": 0.8, "eyes": 1.0}),
            ("BenQ", "e-Reading LED Desk Lamp", 199.0, {"type": "arm lamp", "dimmable": True, "color_temperature": "2700-5700K"}, "wide curved head for big desks", {"light": 0.9, "adjust": 0.8, "controls": 0.6, "build": 0.9, "eyes": 0.8}),
            ("IKEA", "FORSÅ Work Lamp", 25.0, {"type": "arm lamp", "dimmable": False, "color_temperature": "2700K"}, "classic adjustable steel lamp", {"light": 0.2, "adjust": 0.5, "controls": 0.0, "build": 0.5, "eyes": -0.2}),
            ("TaoTronics", "LED Desk Lamp with USB Port", 36.0, {"type": "folding lamp", "dimmable": True, "color_temperature": "3000-6000K"}, "five colour modes and a USB charger", {"light": 0.5, "adjust": 0.3, "controls": -0.3, "build": 0.1, "eyes": 0.5}),
            ("Dyson", "Solarcycle Morph", 649.0, {"type": "arm lamp", "dimmable": True, "color_temperature": "2700-6500K"}, "tracks daylight and lasts 60 years", {"light": 1.0, "adjust": 0.9, "controls": 0.7, "build": 1.0, "eyes": 0.9}),
            ("Philips", "Hue Go Portable Table Lamp", 99.0, {"type": "table lamp", "dimmable": True, "color_temperature": "2000-6500K"}, "portable smart lamp with 16 million colours", {"light": 0.4, "adjust": -0.2, "controls": 0.8, "build": 0.6, "eyes": 0.3}),
            ("Lamicall", "Clamp Architect Lamp", 45.0, {"type": "clamp lamp", "dimmable": True, "color_temperature": "3000-6500K"}, "long swing arm that clamps to the desk edge", {"light": 0.6, "adjust": 0.6, "controls": 0.3, "build": 0.4, "eyes": 0.4}),
            ("Anglepoise", "Type 75 Desk Lamp", 295.0, {"type": "arm lamp", "dimmable": False, "color_temperature": "2700K"}, "the spring-balanced design classic", {"light": 0.6, "adjust": 1.0, "controls": 0.2, "build": 1.0, "eyes": 0.3}),
            ("Xiaomi", "Mi LED Desk Lamp 1S", 49.0, {"type": "folding lamp", "dimmable": True, "color_temperature": "2700-6500K"}, "app-controlled lamp with a reading mode", {"light": 0.7, "adjust": 0.0, "controls": 0.5, "build": 0.5, "eyes": 0.7}),
            ("Globe", "Swing Arm Desk Lamp", 29.0, {"type": "arm lamp", "dimmable": False, "color_temperature": "3000K"}, "budget swing-arm lamp", {"light": 0.1, "adjust": -0.5, "controls": 0.0, "build": -0.4, "eyes": 0.0}),
        ],
    },
    "Outdoors > Backpacks": {
        "noun": "Backpack",
        "colors": [("black", "olive"), ("navy", "grey"), ("red", "black"), ("teal", "charcoal")],
        "aspects": {
            "fit": ("carries the weight on my hips, not my shoulders", "the straps dig into my shoulders"),
            "waterproof": ("stayed dry inside through a downpour", "everything got wet in light rain"),
            "pockets": ("clever pockets, everything has a place", "one big hole, hard to find anything"),
            "durability": ("still looks new after a year of abuse", "a zip broke within two months"),
            "laptop": ("the laptop sleeve is padded and snug", "my laptop slides around inside"),
        },
        "models": [
            ("Osprey", "Talon 22 Hiking Daypack", 140.0, {"capacity_l": 22, "laptop_sleeve": False, "waterproof": False, "material": "recycled nylon"}, "ventilated back panel for fast day hikes", {"fit": 1.0, "waterproof": 0.1, "pockets": 0.7, "durability": 0.9, "laptop": -0.5}),
            ("Osprey", "Atmos AG 65", 340.0, {"capacity_l": 65, "laptop_sleeve": False, "waterproof": False, "material": "nylon"}, "anti-gravity suspension for multi-day treks", {"fit": 1.0, "waterproof": 0.3, "pockets": 0.8, "durability": 0.9, "laptop": -0.6}),
            ("Deuter", "Futura 27", 150.0, {"capacity_l": 27, "laptop_sleeve": False, "waterproof": True, "material": "polyamide"}, "mesh back system with a rain cover", {"fit": 0.8, "waterproof": 0.9, "pockets": 0.6, "durability": 0.8, "laptop": -0.3}),
            ("Peak Design", "Everyday Backpack 20L", 280.0, {"capacity_l": 20, "laptop_sleeve": True, "waterproof": True, "material": "recycled nylon canvas"}, "camera-friendly commuter pack with side access", {"fit": 0.5, "waterproof": 0.8, "pockets": 1.0, "durability": 1.0, "laptop": 0.9}),
            ("Herschel", "Little America", 110.0, {"capacity_l": 25, "laptop_sleeve": True, "waterproof": False, "material": "polyester"}, "mountaineering-inspired city pack", {"fit": 0.1, "waterproof": -0.5, "pockets": -0.2, "durability": 0.3, "laptop": 0.6}),
            ("The North Face", "Borealis", 99.0, {"capacity_l": 28, "laptop_sleeve": True, "waterproof": False, "material": "nylon"}, "campus-to-trail pack with a FlexVent suspension", {"fit": 0.7, "waterproof": 0.0, "pockets": 0.8, "durability": 0.7, "laptop": 0.7}),
            ("Fjällräven", "Kånken Laptop 15\"", 115.0, {"capacity_l": 18, "laptop_sleeve": True, "waterproof": True, "material": "Vinylon F"}, "the boxy Swedish classic with a laptop pocket", {"fit": -0.3, "waterproof": 0.6, "pockets": 0.1, "durability": 0.9, "laptop": 0.7}),
            ("Patagonia", "Black Hole Pack 25L", 149.0, {"capacity_l": 25, "laptop_sleeve": True, "waterproof": True, "material": "recycled polyester ripstop"}, "weather-resistant ripstop for travel", {"fit": 0.5, "waterproof": 0.9, "pockets": 0.5, "durability": 1.0, "laptop": 0.6}),
            ("AmazonBasics", "Laptop Backpack", 35.0, {"capacity_l": 20, "laptop_sleeve": True, "waterproof": False, "material": "polyester"}, "simple padded laptop backpack", {"fit": 0.0, "waterproof": -0.6, "pockets": 0.2, "durability": -0.6, "laptop": 0.4}),
            ("Gregory", "Nano 18", 70.0, {"capacity_l": 18, "laptop_sleeve": True, "waterproof": False, "material": "nylon"}, "light everyday pack that packs down small", {"fit": 0.6, "waterproof": -0.2, "pockets": 0.4, "durability": 0.5, "laptop": 0.3}),
        ],
    },
    "Clothing > Jackets": {
        "noun": "Jacket",
        "colors": [("black", "navy"), ("olive", "red"), ("blue", "grey"), ("white", "black")],
        "aspects": {
            "warmth": ("warm even at freezing temperatures", "not warm enough below ten degrees"),
            "rain": ("rain beads right off", "soaked through in a proper shower"),
            "fit": ("true to size with room for a fleece", "runs small, order a size up"),
            "packability": ("packs into its own pocket", "bulky, takes half my bag"),
            "breathability": ("doesn't get clammy when I walk fast", "I sweat inside it on the way uphill"),
        },
        "models": [
            ("Patagonia", "Torrentshell 3L Rain Jacket", 179.0, {"material": "recycled nylon", "waterproof": True, "insulated": False, "sizes": "XS-XXL"}, "three-layer waterproof shell", {"warmth": -0.3, "rain": 1.0, "fit": 0.7, "packability": 0.6, "breathability": 0.5}),
            ("Patagonia", "Nano Puff Jacket", 239.0, {"material": "recycled polyester", "waterproof": False, "insulated": True, "sizes": "XS-XXL"}, "light synthetic insulation that stays warm when damp", {"warmth": 0.7, "rain": 0.1, "fit": 0.8, "packability": 1.0, "breathability": 0.6}),
            ("Arc'teryx", "Beta AR Gore-Tex Shell", 599.0, {"material": "GORE-TEX Pro", "waterproof": True, "insulated": False, "sizes": "S-XXL"}, "all-round alpine shell", {"warmth": 0.0, "rain": 1.0, "fit": 0.6, "packability": 0.5, "breathability": 0.9}),
            ("The North Face", "Nuptse 1996 Down Jacket", 330.0, {"material": "700-fill down", "waterproof": False, "insulated": True, "sizes": "XS-XXL"}, "the boxy retro puffer", {"warmth": 1.0, "rain": -0.2, "fit": -0.3, "packability": -0.6, "breathability": -0.2}),
            ("Columbia", "Watertight II Rain Jacket", 70.0, {"material": "nylon", "waterproof": True, "insulated": False, "sizes": "S-3XL"}, "budget packable rain jacket", {"warmth": -0.5, "rain": 0.5, "fit": 0.4, "packability": 0.8, "breathability": -0.4}),
            ("Uniqlo", "Ultra Light Down Jacket", 70.0, {"material": "down", "waterproof": False, "insulated": True, "sizes": "XS-3XL"}, "featherweight down layer that folds into a pouch", {"warmth": 0.3, "rain": -0.5, "fit": 0.6, "packability": 1.0, "breathability": 0.3}),
            ("Helly Hansen", "Dubliner Insulated", 150.0, {"material": "polyester", "waterproof": True, "insulated": True, "sizes": "S-XXL"}, "waterproof and insulated for city winters", {"warmth": 0.6, "rain": 0.7, "fit": 0.3, "packability": -0.4, "breathability": -0.1}),
            ("Rab", "Microlight Alpine Down", 260.0, {"material": "recycled down", "waterproof": False, "insulated": True, "sizes": "XS-XXL"}, "water-resistant down for the mountains", {"warmth": 0.9, "rain": 0.4, "fit": 0.7, "packability": 0.8, "breathability": 0.5}),
            ("Marmot", "PreCip Eco", 100.0, {"material": "recycled nylon", "waterproof": True, "insulated": False, "sizes": "S-XXL"}, "pit-zip rain jacket", {"warmth": -0.4, "rain": 0.7, "fit": 0.5, "packability": 0.7, "breathability": 0.6}),
            ("Carhartt", "Duck Detroit Jacket", 170.0, {"material": "cotton duck", "waterproof": False, "insulated": True, "sizes": "S-3XL"}, "heavy-duty work jacket with a blanket lining", {"warmth": 0.6, "rain": -0.3, "fit": 0.1, "packability": -1.0, "breathability": 0.0}),
        ],
    },
    "Clothing > Running Shoes": {
        "noun": "Running Shoes",
        "colors": [("black", "white"), ("blue", "orange"), ("grey", "volt"), ("white", "pink")],
        "aspects": {
            "cushion": ("soft landing, my knees thank me", "too firm for long runs"),
            "fit": ("true to size with a roomy toe box", "narrow, pinches my little toe"),
            "grip": ("grips well on wet pavement", "slips on wet leaves and stone"),
            "durability": ("the sole still looks fine after 500 km", "the outsole wore through in two months"),
            "weight": ("feels light and fast", "heavy and clunky"),
        },
        "models": [
            ("Nike", "Pegasus 41", 140.0, {"surface": "road", "drop_mm": 10, "width": "regular"}, "the everyday trainer with ReactX foam", {"cushion": 0.7, "fit": 0.5, "grip": 0.5, "durability": 0.7, "weight": 0.5}),
            ("Nike", "Vaporfly 3", 260.0, {"surface": "road", "drop_mm": 8, "width": "narrow"}, "carbon-plated race day shoe", {"cushion": 0.8, "fit": -0.3, "grip": 0.2, "durability": -0.6, "weight": 1.0}),
            ("Brooks", "Ghost 16", 140.0, {"surface": "road", "drop_mm": 12, "width": "wide"}, "smooth neutral daily trainer", {"cushion": 0.8, "fit": 0.9, "grip": 0.6, "durability": 0.8, "weight": 0.2}),
            ("Hoka", "Clifton 9", 145.0, {"surface": "road", "drop_mm": 5, "width": "regular"}, "maximal cushioning that stays light", {"cushion": 1.0, "fit": 0.5, "grip": 0.3, "durability": 0.3, "weight": 0.7}),
            ("Asics", "Gel-Kayano 31", 165.0, {"surface": "road", "drop_mm": 10, "width": "wide"}, "stability shoe for overpronators", {"cushion": 0.8, "fit": 0.7, "grip": 0.6, "durability": 0.9, "weight": -0.3}),
            ("Salomon", "Speedcross 6", 145.0, {"surface": "trail", "drop_mm": 10, "width": "narrow"}, "aggressive lugs for mud and soft ground", {"cushion": 0.3, "fit": -0.4, "grip": 1.0, "durability": 0.7, "weight": 0.1}),
            ("New Balance", "Fresh Foam X 1080v14", 165.0, {"surface": "road", "drop_mm": 6, "width": "wide"}, "plush daily miles shoe", {"cushion": 0.9, "fit": 0.8, "grip": 0.4, "durability": 0.6, "weight": 0.3}),
            ("Saucony", "Kinvara 15", 120.0, {"surface": "road", "drop_mm": 4, "width": "regular"}, "light, low-drop tempo shoe", {"cushion": 0.1, "fit": 0.6, "grip": 0.4, "durability": 0.2, "weight": 0.9}),
            ("Altra", "Lone Peak 8", 140.0, {"surface": "trail", "drop_mm": 0, "width": "wide"}, "zero-drop trail shoe with a foot-shaped toe box", {"cushion": 0.3, "fit": 1.0, "grip": 0.8, "durability": 0.5, "weight": 0.4}),
            ("Adidas", "Adizero SL2", 130.0, {"surface": "road", "drop_mm": 8, "width": "regular"}, "affordable Lightstrike Pro trainer", {"cushion": 0.5, "fit": 0.4, "grip": 0.8, "durability": 0.5, "weight": 0.7}),
        ],
    },
}

# Consumables, bought again and again; generated after everything above with their own random
# stream, so adding them left the rest of the demo exactly as it was.
SUPPLIES = {
    "category": "Home > Kitchen > Coffee Supplies",
    "aspects": {
        "taste": ("rich and chocolatey, lovely as espresso", "tastes flat and a bit stale"),
        "freshness": ("the roast date is always recent", "the bag arrived weeks after roasting"),
        "value": ("a fair price for daily coffee", "too expensive for an everyday bag"),
    },
    "models": [
        ("Counter Culture", "Hologram Whole Bean Coffee, 12 oz", 17.5, {"roast": "medium", "weight_oz": 12}, "fruity, chocolatey blend for espresso or filter", {"taste": 0.9, "freshness": 0.8, "value": 0.3}),
        ("Stumptown", "Hair Bender Whole Bean Coffee, 12 oz", 16.0, {"roast": "medium-dark", "weight_oz": 12}, "the house espresso blend, sweet and heavy", {"taste": 0.8, "freshness": 0.6, "value": 0.4}),
        ("Lavazza", "Super Crema Whole Bean Espresso, 2.2 lb", 24.0, {"roast": "medium", "weight_oz": 35}, "a big bag of mild, creamy espresso beans", {"taste": 0.3, "freshness": -0.2, "value": 0.9}),
        ("Chemex", "Bonded Paper Coffee Filters, 100 count", 12.0, {"count": 100, "fits": "6-cup Chemex"}, "thick filters for a clean, sediment-free cup", {"taste": 0.7, "freshness": 0.0, "value": 0.6}),
    ],
}
RESTOCK_DAYS = (11, 17)  # a coffee lover's bag of beans lasts about two weeks

OPENERS_POS = ["Really happy with it.", "Exactly what I hoped for.", "Worth every penny.", "Bought it after a long search.", "Second one I own.", "Gift for my partner, who loves it.", "Great value.", "Use it every day."]
OPENERS_NEG = ["Disappointed.", "Not what I expected.", "Mixed feelings.", "Returned it after two weeks.", "Wanted to love it.", "Overpriced for what it is."]
OPENERS_MID = ["It does the job.", "Decent, with caveats.", "Good and bad points.", "Solid but not perfect."]
CLOSERS = ["", "", "Would buy again.", "Delivery was quick too.", "Recommended.", "Three stars for now.", "Fine for the price."]

FIRST = ["Ana", "Ben", "Chloe", "Dev", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Lars", "Maya", "Nico", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tomás", "Uma", "Victor", "Wen", "Yusuf"]
# (name suffix, taste): favourite categories, price band, colours, brands.
PERSONAS = [
    ("gamer", ["Electronics > Keyboards", "Electronics > Mice", "Electronics > Headphones"], (40, 250), ["black"], ["Razer", "Corsair"]),
    ("remote worker", ["Electronics > Keyboards", "Office > Desk Lamps", "Electronics > Mice"], (30, 200), ["white", "graphite"], ["Logitech", "BenQ"]),
    ("coffee lover", ["Home > Kitchen > Coffee"], (40, 500), ["cream", "black"], ["Breville", "Fellow", "Technivorm"]),
    ("trail runner", ["Clothing > Running Shoes", "Outdoors > Backpacks", "Clothing > Jackets"], (60, 300), ["blue", "olive"], ["Salomon", "Altra", "Osprey"]),
    ("hiker", ["Outdoors > Backpacks", "Clothing > Jackets"], (80, 400), ["olive", "red"], ["Osprey", "Patagonia", "Arc'teryx"]),
    ("student on a budget", ["Electronics > Keyboards", "Outdoors > Backpacks", "Electronics > Headphones", "Office > Desk Lamps"], (15, 80), ["black", "navy"], ["AmazonBasics", "Logitech", "IKEA", "JBL"]),
    ("commuter", ["Electronics > Headphones", "Outdoors > Backpacks", "Clothing > Jackets"], (60, 350), ["black", "grey"], ["Sony", "Peak Design", "Patagonia"]),
    ("road runner", ["Clothing > Running Shoes", "Electronics > Headphones"], (90, 270), ["white", "black"], ["Nike", "Hoka", "Brooks"]),
]


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + "."


def build() -> None:
    rng = random.Random(7)
    products, reviews, users, events = [], [], [], []
    for category, line in LINES.items():
        slug = category.split(">")[-1].strip().lower().replace(" ", "-")[:8]
        for m, (brand, model, price, attrs, pitch, quality) in enumerate(line["models"]):
            pair = line["colors"][m % len(line["colors"])]
            for c, color in enumerate(pair):
                pid = f"{slug}-{m + 1:02d}{'ab'[c]}"
                noun = f" {line['noun']}" if line["noun"] and line["noun"].lower() not in model.lower() else ""
                title = f"{brand} {model}{noun}, {color.title()}"
                delta = 0.0 if c == 0 else rng.choice([0.0, 0.0, 5.0, 10.0, -5.0])
                good = [line["aspects"][a][0] for a, q in sorted(quality.items(), key=lambda kv: -kv[1]) if q >= 0.5][:2]
                desc = f"The {brand} {model} in {color}: {pitch}." + (f" Owners say {good[0]}." if good else "")
                stock = rng.choice([0, 3, 8, 12, 25, 40, 60]) if rng.random() > 0.08 else 0
                products.append({"id": pid, "title": title, "description": desc, "brand": brand, "price": round(price + delta, 2), "currency": "USD", "category": category, "attributes": {"color": color, **attrs}, "stock": stock})
                for r in range(rng.randint(3, 5)):
                    reviews.append(_review(rng, pid, line["aspects"], quality, len(reviews)))
    for u in range(24):
        suffix, cats, (lo, hi), colors, brands = PERSONAS[u % len(PERSONAS)]
        uid = f"u{u + 1:02d}"
        users.append({"id": uid, "name": f"{FIRST[u]} ({suffix})", "attributes": {"persona": suffix, "price_band": [lo, hi]}})
        liked = [p for p in products if p["category"] in cats and lo <= p["price"] <= hi]
        liked.sort(key=lambda p: -(2 * (p["brand"] in brands) + (p["attributes"]["color"] in colors) + rng.random()))
        ts = NOW - timedelta(days=90)
        for p in liked[: rng.randint(6, 12)]:
            ts += timedelta(days=rng.randint(1, 7), minutes=rng.randint(0, 600))
            events.append({"user_id": uid, "product_id": p["id"], "kind": "view", "ts": ts.isoformat()})
            if rng.random() < 0.55:
                events.append({"user_id": uid, "product_id": p["id"], "kind": "cart", "ts": (ts + timedelta(minutes=4)).isoformat()})
                if rng.random() < 0.7:
                    events.append({"user_id": uid, "product_id": p["id"], "kind": "purchase", "ts": (ts + timedelta(minutes=9)).isoformat(), "value": 1})
    _supplies(random.Random(11), products, reviews, users, events)
    for product in products:  # the demo's own pictures (generated SVG) and pages, served by the app
        product["image_url"], product["url"] = f"/demo/images/{product['id']}.svg", f"/demo/products/{product['id']}"
    _write("products.jsonl", products)
    _write("reviews.jsonl", reviews)
    _write("users.jsonl", users)
    _write("events.jsonl", events)
    print(f"{len(products)} products, {len(reviews)} reviews, {len(users)} users, {len(events)} events")


def _supplies(rng: random.Random, products: list[dict], reviews: list[dict], users: list[dict], events: list[dict]) -> None:
    """Coffee supplies and their re-buys: each coffee lover restocks one favourite bean every
    RESTOCK_DAYS and filters every other trip; a few remote workers try a bag now and then."""
    for m, (brand, model, price, attrs, pitch, quality) in enumerate(SUPPLIES["models"]):
        pid = f"supplies-{m + 1:02d}"
        products.append({"id": pid, "title": f"{brand} {model}", "description": f"{brand} {model}: {pitch}.", "brand": brand, "price": price, "currency": "USD",
                         "category": SUPPLIES["category"], "attributes": attrs, "stock": rng.choice([30, 60, 120])})
        for _ in range(rng.randint(4, 6)):
            reviews.append(_review(rng, pid, SUPPLIES["aspects"], quality, len(reviews)))
    beans, filters = ["supplies-01", "supplies-02", "supplies-03"], "supplies-04"
    for user in users:
        persona = user["attributes"]["persona"]
        if persona not in ("coffee lover", "remote worker"):
            continue
        favourite = rng.choice(beans)
        ts = NOW - timedelta(days=88, hours=rng.randint(0, 48))
        trips = 0
        while ts < NOW - timedelta(days=3):
            basket = [favourite] + ([filters] if trips % 2 == 0 else []) if persona == "coffee lover" else [rng.choice(beans)]
            for i, pid in enumerate(basket):
                events.append({"user_id": user["id"], "product_id": pid, "kind": "cart", "ts": (ts + timedelta(minutes=i)).isoformat()})
                events.append({"user_id": user["id"], "product_id": pid, "kind": "purchase", "ts": (ts + timedelta(minutes=5 + i)).isoformat(), "value": 1})
            trips += 1
            ts += timedelta(days=rng.randint(*RESTOCK_DAYS) if persona == "coffee lover" else rng.randint(25, 45), hours=rng.randint(-6, 6))


def _review(rng: random.Random, pid: str, aspects: dict, quality: dict, n: int) -> dict:
    mood = sum(quality.values()) / len(quality) + rng.gauss(0, 0.45)
    stars = max(1, min(5, round(3 + 2.2 * mood)))
    picked = rng.sample(sorted(aspects), k=rng.randint(1, 3))
    parts = [rng.choice(OPENERS_POS if stars >= 4 else OPENERS_MID if stars == 3 else OPENERS_NEG)]
    for a in picked:
        q = quality[a] + rng.gauss(0, 0.3)
        if abs(quality[a]) < 0.05 and a in ("battery",):
            continue  # wired products have no battery to talk about
        parts.append(_sentence(aspects[a][0] if q >= 0.2 else aspects[a][1]))
    parts.append(rng.choice(CLOSERS))
    title = {5: "Love it", 4: "Very good", 3: "Okay", 2: "Meh", 1: "Avoid"}[stars]
    when = NOW - timedelta(days=rng.randint(1, 400))
    return {"id": f"r{n + 1:04d}", "product_id": pid, "user_id": None, "rating": stars, "title": title, "text": " ".join(p for p in parts if p), "ts": when.isoformat()}


def _write(name: str, rows: list[dict]) -> None:
    with open(HERE / name, "w") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    build()
