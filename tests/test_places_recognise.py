from geomap.places.recognise import find_mentions, find_people, tokenize
from geomap.places.resolve import resolve


def names(text, gaz):
    return [m.name for m in find_mentions(text, gaz)]


def resolved(text, gaz):
    return list(resolve(find_mentions(text, gaz), gaz).places)


def test_tokenize_keeps_hyphenated_names_and_cuts_possessives():
    toks = tokenize("Russia’s Far East, Komsomolsk-on-Amur's plant")
    assert [t.text for t in toks] == ["Russia", "Far", "East", "Komsomolsk-on-Amur", "plant"]
    assert toks[0].start == 0 and toks[0].end == 6


def test_people_are_found_with_titles_and_korean_names():
    text = "Russian President Vladimir Putin met North Korean leader Kim Jong Un. Belarusian analyst Valery Karbalevich noted it."
    found = [n for _, _, n in find_people(text)]
    assert found == ["Vladimir Putin", "Kim Jong Un", "Valery Karbalevich"]


def test_people_are_not_places(fake_gazetteer):
    text = "Kim Jong Un met Putin in Sochi. Later Kim and Lukashenko spoke. Valery Karbalevich noted it."
    assert names(text, fake_gazetteer) == ["Sochi"]


def test_first_names_named_after_places_are_not_places(fake_gazetteer):
    for text in [
        "Chelsea Clinton said the talks went well.",
        "Florence Pugh starred in the film.",
        "Austin Butler won the award.",
        "Sydney Sweeney arrived late.",
        "Chelsea said she was tired.",
    ]:
        assert names(text, fake_gazetteer) == [], text
    assert names("He flew to Sydney and then to Austin.", fake_gazetteer) == ["Sydney", "Austin"]


def test_organisations_named_after_places_are_not_places(fake_gazetteer):
    for text in [
        "The Houston Chronicle reported the story.",
        "Paris Saint-Germain won again.",
        "He will visit the Russian Pacific Fleet warships.",
    ]:
        got = [p for p in resolved(text, fake_gazetteer) if p.kind != "demonym"]
        assert got == [], text


def test_multiword_hyphenated_and_possessive_names(fake_gazetteer):
    text = "From New York City to Komsomolsk-on-Amur, via Russia’s Far East and North Korea."
    assert names(text, fake_gazetteer) == ["New York City", "Komsomolsk-on-Amur", "Russia", "Far East", "North Korea"]


def test_spelling_variants_resolve(fake_gazetteer):
    for text, want in [("He went to Komsomolsk-na-Amure.", "Komsomolsk-on-Amur"), ("Talks in Kiev.", "Kyiv")]:
        (p,) = resolved(text, fake_gazetteer)
        assert p.resolved_name == want


def test_landmark_phrase_resolves_to_the_landmark_not_a_village(fake_gazetteer):
    (p, *_rest) = resolved("They met at the Vostochny spaceport in the Far East.", fake_gazetteer)
    assert p.name == "Vostochny" and p.kind == "landmark"
    assert abs(p.lat - 51.88) < 0.2 and abs(p.lon - 128.33) < 0.2


def test_parent_container_picks_the_right_namesake(fake_gazetteer):
    (paris, texas) = resolved("A storm hit Paris, Texas on Monday.", fake_gazetteer)
    assert paris.country_code == "US" and texas.kind == "admin"
    (paris_fr,) = resolved("A storm hit Paris on Monday.", fake_gazetteer)
    assert paris_fr.country_code == "FR"


def test_demonyms_are_country_references_with_their_own_kind(fake_gazetteer):
    ps = resolved("The Belarusian and North Korean delegations arrived.", fake_gazetteer)
    assert [(p.name, p.kind, p.country_code) for p in ps] == [
        ("Belarusian", "demonym", "BY"),
        ("North Korean", "demonym", "KP"),
    ]


def test_capital_standing_for_government_is_kept(fake_gazetteer):
    assert names("Moscow said the talks were useful.", fake_gazetteer) == ["Moscow"]


def test_sentence_initial_common_words_are_not_places(fake_gazetteer):
    assert names("During the talks, nobody left. However, it rained.", fake_gazetteer) == []


def test_compounds_eponyms_currencies_and_continent_adjectives(gazetteer):
    def found(text):
        return [(p.name, p.kind) for p in resolved(text, gazetteer)]

    assert found("The DPRK-South Korea summit was held.") == [("DPRK", "country"), ("South Korea", "country")]
    assert found("Cases of West Nile virus rose.") == []
    assert found("It paid US$460 million.") == []
    assert found("European officials met.") == [("European", "demonym")]
    assert found("The Food and Drug Administration recalled it.") == []


def test_people_in_a_list_with_long_titles(gazetteer):
    text = ("U.S. Secretary of State Hillary Clinton met Russian Foreign Minister Sergei Lavrov "
            "and U.S. Vice-President Joe Biden in Brussels. Minister for Foreign Affairs Sergei Lavrov said so.")
    assert [n for _, _, n in find_people(text, gazetteer)] == ["Hillary Clinton", "Sergei Lavrov", "Joe Biden", "Sergei Lavrov"]


def test_office_titles_name_no_one_and_a_demonym_may_open_a_sentence(gazetteer):
    text = ("Isa Sadygov, the former Deputy Minister of Defence of Azerbaijan, spoke. Azerbaijan objected. "
            "Russian President Vladimir Putin agreed.")
    names = [m.name for m in find_mentions(text, gazetteer)]
    assert names == ["Azerbaijan", "Azerbaijan", "Russian"]


# -- names the gazetteer lacks, found by what the text says ---------------------------------------

def _mention(text, gaz, name):
    found = [m for m in find_mentions(text, gaz) if m.name == name]
    assert found, f"{name!r} not among {[m.name for m in find_mentions(text, gaz)]}"
    return found[0]


def test_a_head_word_after_an_unknown_name_makes_it_a_place(gazetteer):
    text = "Engineers inspected the runway at Brezhovka Airbase. The Velmora Valley flooded overnight."
    air = _mention(text, gazetteer, "Brezhovka Airbase")
    assert air.open and air.hint == "landmark"
    assert _mention(text, gazetteer, "Velmora Valley").hint == "region"


def test_a_lower_case_head_word_and_its_modifier_are_the_query(gazetteer):
    m = _mention("Families reached Tarbouni refugee camp after dark.", gazetteer, "Tarbouni")
    assert m.open and m.hint == "landmark" and m.query == "Tarbouni camp"


def test_a_cue_noun_or_an_apposition_makes_an_unknown_name_a_place(gazetteer):
    text = "Shells fell on the village of Qartaba. Relief went to Mazraat Hala, a small village in Lebanon."
    assert _mention(text, gazetteer, "Qartaba").hint == "city"
    m = _mention(text, gazetteer, "Mazraat Hala")
    assert m.hint == "city" and m.parent == "Lebanon"


def test_a_preposition_of_place_makes_a_rare_name_a_place_but_not_a_common_word_or_a_person(gazetteer):
    text = "Fighters regrouped in Zhobrani. Talks resumed in Parliament. She spoke to Wendell Marsh."
    found = [m.name for m in find_mentions(text, gazetteer)]
    assert "Zhobrani" in found
    assert "Parliament" not in found and not any("Wendell" in n for n in found)


def test_a_known_place_inside_a_facility_name_is_its_container(gazetteer):
    m = _mention("Welders walked out at the Gdynia Shipyard on Friday.", gazetteer, "Gdynia Shipyard")
    assert m.parent == "Gdynia"
    # the weekday is no part of the name, and "Shipyard" is no town of its own
    assert [x.name for x in find_mentions("Welders walked out at the Gdynia Shipyard on Friday.", gazetteer)] == ["Gdynia Shipyard"]


def test_streets_take_no_container_from_their_own_name(gazetteer):
    m = _mention("A car hit a lamp post on Boston Road in Springfield.", gazetteer, "Boston Road")
    assert m.parent == "Springfield"


def test_a_run_of_two_streets_is_two_names(gazetteer):
    found = [m.name for m in find_mentions("Crews closed Larkspur Street and Quillon Avenue.", gazetteer)]
    assert found == ["Larkspur Street", "Quillon Avenue"]


def test_a_facility_without_a_container_takes_the_dateline_city(gazetteer):
    m = [x for x in find_mentions("NAIROBI, Kenya, May 2 — Thousands gathered at Tumaini Stadium.", gazetteer) if x.open]
    assert m and m[0].name == "Tumaini Stadium" and m[0].parent == "NAIROBI"


# -- names that contain or equal a place but are not places ----------------------------------------

def test_acronyms_of_organisations_are_not_small_towns(gazetteer):
    found = [m.name for m in find_mentions("Police blamed the IRA for the blast. ETA once did the same.", gazetteer)]
    assert "IRA" not in found and "ETA" not in found
    assert "US" in [m.name for m in find_mentions("The US sent envoys.", gazetteer)]


def test_clipped_names_stay_whole(gazetteer):
    text = "Storms battered North Island. Boats left Cox's Bazar. Tankers crossed the Gulf of Guinea."
    found = [m.name for m in find_mentions(text, gazetteer)]
    assert found == ["North Island", "Cox's Bazar", "Gulf of Guinea"]


def test_a_name_with_an_elided_particle_is_one_name(gazetteer):
    found = [m.name for m in find_mentions("Prices rose in Côte d'Ivoire's ports.", gazetteer)]
    assert found == ["Côte d'Ivoire"]


def test_a_persons_name_ends_before_of_and_a_place(gazetteer):
    text = "The adviser, Colonel Amadou Sow of Senegal, flew home."
    assert "Senegal" in [m.name for m in find_mentions(text, gazetteer)]


def test_the_rest_of_a_run_after_a_place_is_not_a_new_place(gazetteer):
    found = [m.name for m in find_mentions("The British Columbia Maritime Employers Association met.", gazetteer)]
    assert "Maritime" not in found


def test_clock_times_are_not_places(gazetteer):
    assert find_mentions("The polls closed at 9:30 PM and reopened at 7 AM.", gazetteer) == []


def test_diseases_named_after_places_and_words_before_of_are_not_towns(gazetteer):
    found = [m.name for m in find_mentions("An outbreak of Marburg virus spread. Bank of America shares fell.", gazetteer)]
    assert "Marburg" not in found and "Bank" not in found


def test_a_preposition_of_movement_along_a_street_the_gazetteer_lacks(gazetteer):
    assert [m.name for m in find_mentions("Crowds walked along the Champs-Élysées.", gazetteer)] == ["Champs-Élysées"]


def test_a_name_the_text_defines_as_a_place_stays_a_place_beside_its_namesake(gazetteer):
    text = ("Garfield is a small town on the river. It was named after President James Garfield. "
            "Garfield holds a fair each June.")
    starts = [m.start for m in find_mentions(text, gazetteer) if m.name == "Garfield"]
    assert starts == [0, text.rindex("Garfield")]


def test_only_a_place_noun_that_ends_the_phrase_defines_a_place():
    from geomap.places.recognise import defined_places

    text = "Dover is the county town of Kent. Marsh, a city official, spoke. Ruiz is a town councillor."
    assert defined_places(text) == {"dover"}


def test_a_given_name_before_a_small_area_is_a_person(gazetteer):
    assert names("The hall is named for George Hamilton, who paid for it.", gazetteer) == []


def test_a_possessive_after_a_preposition_is_a_persons(gazetteer):
    text = "Police named the victim as Daniel Ortega Flores. A bench stands in Flores' memory."
    assert "Flores" not in names(text, gazetteer)


def test_a_place_after_a_preposition_before_a_comma_and_a_speech_verb(gazetteer):
    assert names("Sam Reyes, who runs a diner in Urbana, said sales fell.", gazetteer) == ["Urbana"]


def test_a_run_ending_in_a_country_after_a_word_that_is_no_given_name_is_nobody(gazetteer):
    assert not any("Georgia" in n for _, _, n in find_people("A Senior Official Visits Georgia. He arrived.", gazetteer))
    text = "The charity Children's Villages Sudan reports that life in Sudan is hard."
    assert "Sudan" in names(text, gazetteer)


def test_a_party_and_home_town_tag_names_a_place(gazetteer):
    text = "State Sen. Maria Lopez, D-Kerrville, and Rep. Tom Hale (R-Nacogdoches) filed the bill."
    assert names(text, gazetteer) == ["Kerrville", "Nacogdoches"]


def test_someone_described_by_a_town_and_a_party(gazetteer):
    assert names("Rep. John Smith, a Findlay Republican, said no.", gazetteer) == ["Findlay"]


def test_a_spaced_dash_parts_a_dateline_from_the_story(gazetteer):
    assert names("TOLEDO - A Sandusky teacher won the award.", gazetteer) == ["TOLEDO", "Sandusky"]


def test_an_institution_of_a_town_behind_its_modifiers_keeps_the_town(gazetteer):
    assert names("The Elyria Volunteer Fire Department responded.", gazetteer) == ["Elyria"]
    assert names("Enrollment at Texas Southern University rose.", gazetteer) != ["Texas"]


def test_a_town_named_like_a_stream_is_the_town(gazetteer):
    (p,) = resolved("A Walnut Creek couple won the lottery.", gazetteer)
    assert p.kind == "city" and p.country_code == "US"


def test_capitals_of_a_title_case_headline_do_not_join_a_place_to_a_name(gazetteer):
    assert "Tulsa" in names("Senate Panel Backs Tulsa Bridge Plan. Lawmakers voted 7-2 on Monday.", gazetteer)
    text = "Step Aside, Ohio, Vietnam Is The New Rust Belt. Plants opened in Hanoi last year."
    assert names(text, gazetteer) == ["Ohio", "Vietnam", "Hanoi"]
    # a sentence of names is no headline
    assert names("Rep. John Smith, a Findlay Republican, said no.", gazetteer) == ["Findlay"]


def test_a_place_before_and_another_name_is_a_place(gazetteer):
    assert names("Talks between Mexico and the United States resumed.", gazetteer) == ["Mexico", "United States"]


def test_a_demonym_after_a_plain_capitalised_word_or_an_article(gazetteer):
    text = "A South Korean court ruled. Veteran Nigerian actress Ada Obi spoke. The BBC Russian Service said so."
    assert names(text, gazetteer) == ["South Korean", "Nigerian"]


def test_adjectives_of_regions_are_their_demonyms(gazetteer):
    assert gazetteer.demonym("Iowans").name == "Iowa"
    assert gazetteer.demonym("Ontarian").name == "Ontario"
    assert gazetteer.demonym("Central American").kind == "region"
    assert gazetteer.demonym("Kurdish").name == "Kurdistan"  # a curated region, by its id
    assert gazetteer.demonym("Roman") is None  # a given name, not the adjective of a region
    got = resolved("Two Manitobans and a Texan won.", gazetteer)
    assert [(p.name, p.resolved_name, p.kind) for p in got] == [
        ("Manitobans", "Manitoba", "demonym"), ("Texan", "Texas", "demonym")]


def test_a_title_at_the_end_of_a_sentence_names_no_one_in_the_next(gazetteer):
    text = "He failed to register with the Ministry of Justice. Azerbaijan has jailed critics before."
    assert names(text, gazetteer) == ["Azerbaijan"]
    assert [n for _, _, n in find_people("He met Gen. Okafor in the capital.", gazetteer)] == ["Okafor"]


def test_each_place_of_a_list_under_a_plural_head_word(gazetteer):
    got = resolved("Schools closed in Oconee, Barrow and Jackson counties on Monday.", gazetteer)
    assert [(p.name, p.resolved_name) for p in got] == [
        ("Oconee", "Oconee County"), ("Barrow", "Barrow County"), ("Jackson", "Jackson County")]
    assert {p.country_code for p in got} == {"US"}


def test_each_place_of_a_list_after_a_plural_cue_noun(gazetteer):
    text = "Aid reached the islands of Velmoru and Kastrani after the storm."
    found = {m.name: m for m in find_mentions(text, gazetteer)}
    assert set(found) == {"Velmoru", "Kastrani"} and all(m.open for m in found.values())
    # a list is no place inside a place
    text = "Shelling hit the villages of Qarvesh, Talmira and Zorbekan on Monday."
    assert all(m.parent is None for m in find_mentions(text, gazetteer))


def test_places_joined_by_and_share_their_container(gazetteer):
    found = find_mentions("Rebels shelled the besieged villages of Fouzra and Kefrani in Idlib.", gazetteer)
    assert [(m.name, m.parent) for m in found if m.open] == [("Fouzra", "Idlib"), ("Kefrani", "Idlib")]


def test_an_adjective_before_a_head_word_names_no_place(gazetteer):
    assert names("A Buddhist monastery was shelled near a Hasidic town.", gazetteer) == []


def test_a_title_at_the_end_of_a_run_belongs_to_the_next_name():
    # not "York Gov": the sentence-initial "New" is dropped from people, and the title is no name
    assert find_people("New York Gov. Ann Example signed it.") == [(14, 25, "Ann Example")]


def test_family_names_with_a_lower_case_particle_are_people_not_places(gazetteer):
    text = "Mayor Jan de Haan met Greta van Oosten in Leiden. Van Oosten said the dikes held."
    assert {"Jan de Haan", "Greta van Oosten", "Van Oosten"} <= {n for _, _, n in find_people(text, gazetteer)}
    names = [m.name for m in find_mentions(text, gazetteer)]
    assert names == ["Leiden"]
    # a place with a particle in its name stays a place
    assert [m.name for m in find_mentions("Crowds filled Rio de Janeiro and Santiago de Compostela.", gazetteer)] == [
        "Rio de Janeiro", "Santiago de Compostela"]
    assert find_people("The parish of San Rafael de Alto was founded by Juan de Oca.", gazetteer) == [(48, 59, "Juan de Oca")]


def test_a_place_known_only_by_another_name_is_an_item_of_a_list_of_places(gazetteer):
    got = resolved("The floods cut off Lobos, Carlos Casares and Pehuajó for a week.", gazetteer)
    assert [(p.name, p.country_code) for p in got] == [("Lobos", "AR"), ("Carlos Casares", "AR"), ("Pehuajó", "AR")]
    got = resolved("Backpackers sailed on to Lombok and Sumbawa.", gazetteer)
    assert [(p.name, p.country_code) for p in got] == [("Lombok", "ID"), ("Sumbawa", "ID")]
    # a given name alone after a place is no item of it
    assert names("In Boston, Mark and Anne met for lunch.", gazetteer) == ["Boston"]


def test_a_town_whose_name_opens_with_a_title_is_a_place_where_the_text_puts_something(gazetteer):
    got = resolved("Loggers met in Prince Albert on Friday.", gazetteer)
    assert [(p.name, p.country_code) for p in got] == [("Prince Albert", "CA")]
    got = resolved("Grain piled up at the port of Prince Rupert.", gazetteer)
    assert [(p.name, p.country_code) for p in got] == [("Prince Rupert", "CA")]
    assert names("A letter to Prince Albert was read aloud.", gazetteer) == []
    assert names("Prince Albert opened the new wing.", gazetteer) == []


def test_the_place_a_sentence_puts_a_facility_in_outranks_a_town_in_its_name(gazetteer):
    found = find_mentions("Divers searched Hammond Beach, south of Mombasa, at dawn.", gazetteer)
    assert [(m.name, m.parent) for m in found] == [("Hammond Beach", "Mombasa"), ("Mombasa", None)]
    found = find_mentions("Crowds filled Freedom Park in Lagos.", gazetteer)
    assert [(m.name, m.hint, m.parent) for m in found] == [("Freedom Park", "landmark", "Lagos"), ("Lagos", None, None)]


def test_a_place_below_or_off_another_is_a_place(gazetteer):
    got = resolved("The fishing fleet sheltered off Isla Margarita.", gazetteer)
    assert [(p.name, p.country_code) for p in got] == [("Isla Margarita", "VE")]


def test_the_main_islands_of_island_states_are_in_the_index(gazetteer):
    got = resolved("Aid reached Malekula and Ambrym after the quake in Vanuatu.", gazetteer)
    assert [(p.name, p.country_code) for p in got] == [("Malekula", "VU"), ("Ambrym", "VU"), ("Vanuatu", "VU")]
    assert gazetteer.lookup("Viti Levu")[0].country_code == "FJ"


def test_a_lower_case_facility_head_after_a_name_says_it_is_a_place(gazetteer):
    # "Chernobyl" is only another spelling of Chornobyl; the plant after it says it is a place
    assert names("Inspectors toured the Chernobyl nuclear power plant again.", gazetteer) == ["Chernobyl"]
    assert names("Inspectors toured Chernobyl again.", gazetteer) == []


def test_an_event_named_after_a_city_is_held_there(gazetteer):
    assert names("She will run the Tokyo Marathon next spring.", gazetteer) == ["Tokyo"]
    assert names("Ministers spoke at the Munich Security Conference.", gazetteer) == ["Munich"]
    assert names("The Geneva Convention bans it. The Houston Chronicle said so.", gazetteer) == []


def test_a_facility_opened_by_a_head_word_of_another_language(gazetteer):
    text = "ABIDJAN, May 4 — Fans packed the Stade Félix Houphouët-Boigny. Planes left the Aeropuerto de Madrid."
    found = [(m.name, m.hint, m.parent) for m in find_mentions(text, gazetteer)]
    assert found == [("ABIDJAN", None, None), ("Stade Félix Houphouët-Boigny", "landmark", "ABIDJAN"),
                     ("Aeropuerto de Madrid", "landmark", "Madrid")]


def test_the_marginal_seas_are_in_the_index(gazetteer):
    for name in ("Celebes Sea", "Sulu Sea", "Gulf of Thailand", "Bass Strait", "Hudson Bay"):
        assert any(c.kind == "water" for c in gazetteer.lookup(name)), name


def test_a_place_behind_an_opening_adjective_or_inside_a_hyphenated_adjective(gazetteer):
    assert names("Neighbouring Malawi closed its border. Landlocked Chad exports cotton.", gazetteer) == ["Malawi", "Chad"]
    assert names("Troops entered Turkish-occupied Afrin.", gazetteer) == ["Turkish", "Afrin"]
    assert names("Reading beat Hull on Saturday.", gazetteer)[:1] == ["Reading"]  # a town, not an opening participle


def test_a_part_of_a_place_after_its_possessive_says_it_is_a_place(gazetteer):
    assert names("Floods hit Java's northern coast.", gazetteer) == ["Java"]


def test_an_abbreviated_container_after_a_comma(gazetteer):
    found = resolved("Protesters marched in Washington, D.C. and in Albany, N.Y., on Friday.", gazetteer)
    assert [(p.name, p.kind) for p in found] == [
        ("Washington", "city"), ("D.C.", "city"), ("Albany", "city"), ("N.Y.", "admin")]
    assert names("In Paris, Will said so.", gazetteer) == ["Paris"]


def test_a_country_before_the_name_of_a_disease_is_a_place(gazetteer):
    assert names("The Canada flu season began. The Marburg virus and Lassa fever did not.", gazetteer) == ["Canada"]


def test_a_possessive_inside_a_country_s_long_name(gazetteer):
    got = resolved("Envoys of the People's Republic of China and the Lao People's Democratic Republic met.", gazetteer)
    assert [(p.name, p.country_code) for p in got] == [
        ("People's Republic of China", "CN"), ("Lao People's Democratic Republic", "LA")]


def test_a_district_of_a_city_is_held_by_the_city_which_stays_a_city(gazetteer):
    found = find_mentions("Shops reopened in the Mansour district of Baghdad. Quiet returned to the district of Kunar.", gazetteer)
    assert [(m.name, m.hint, m.parent) for m in found] == [
        ("Mansour", "admin", "Baghdad"), ("Baghdad", None, None), ("Kunar", "admin", None)]
    found = find_mentions("Teachers left the Gokwe district, Midlands province, and Tsholotsho is a small town in western "
                          "Matabeleland North.", gazetteer)
    assert [(m.name, m.parent) for m in found][:3] == [("Gokwe", "Midlands"), ("Midlands", None), ("Tsholotsho", "Matabeleland North")]
