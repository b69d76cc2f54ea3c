"""The emulator's demo data: one table of companies and employees that every reset restores.

Sample files, tests and the README rely on exactly these values. Every BSN passes the
11-check, every personnummer its Luhn check, every IBAN mod-97. Pure data, no I/O.

| Company | Name            | Country | Periods           | Employees (numbers) |
|---------|-----------------|---------|-------------------|---------------------|
| 54613   | DEMO B.V.       | NL      | monthly (Month)   | 1001-1010           |
| 54614   | Demo Zorg B.V.  | NL      | 4-weekly (Week4)  | none                |
| 61001   | Demo Sverige AB | SE      | monthly (Month)   | 5001-5005           |

A company's country is what `Address_GetCurrent` shows as its address's CountryISOCode.

Ids: seeded employees 503293-503307 (the ids of Nmbrs' own v2.1 sample reply), new employees
from 1057235 upwards; addresses, bank accounts and contracts have their own counters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from bulkimport.emulator.accounts import Country
from bulkimport.emulator.rules import PeriodType


@dataclass(frozen=True, slots=True)
class SeedCompany:
    id: int
    number: int
    name: str
    country: Country
    period_type: PeriodType
    loonaangifte_tijdvak: str  # the LoonaangifteTijdvak enumeration value List_GetAll shows
    kvk_number: str
    email: str
    street: str
    house_number: str
    postal_code: str
    city: str


@dataclass(frozen=True, slots=True)
class SeedEmployee:
    id: int
    company_id: int
    number: int
    first_name: str
    prefix: str
    last_name: str
    initials: str
    gender: str
    birthday: date
    identity_number: str  # BSN (NL) or personnummer (SE), both carried in PersonalInfo.BSN
    email_work: str
    street: str
    house_number: str
    postal_code: str
    city: str
    iban: str
    bic: str
    start_date: date
    hours_per_week: Decimal
    monthly_salary: Decimal


@dataclass(frozen=True, slots=True)
class SeedEmployeeType:
    id: int
    description: str


SEED_COMPANIES: Final = (
    SeedCompany(54613, 444445, "DEMO B.V.", Country.NL, PeriodType.MONTH, "Month", "12345678",
                "salarisadministratie@demo.example", "Herengracht", "420", "1017 BZ",
                "Amsterdam"),
    SeedCompany(54614, 444446, "Demo Zorg B.V.", Country.NL, PeriodType.FOUR_WEEKS, "Week4",
                "23456789", "hr@demozorg.example", "Catharijnesingel", "30", "3511 GB",
                "Utrecht"),
    SeedCompany(61001, 610010, "Demo Sverige AB", Country.SE, PeriodType.MONTH, "Month", "",
                "lon@demosverige.example", "Sveavägen", "44", "111 34", "Stockholm"),
)  # fmt: skip

# Nmbrs' employee types come from EmployeeType_GetList; their ids and texts are not published,
# so these are inferred. One public client notes "2 = active payroll employees, 4 = uit dienst"
# (API.md section 5.3), hence every employee, seeded or inserted, gets type 2.
SEED_EMPLOYEE_TYPES: Final = (
    SeedEmployeeType(1, "Stagiair"),
    SeedEmployeeType(2, "Werknemer"),
    SeedEmployeeType(3, "DGA"),
    SeedEmployeeType(4, "Uit dienst"),
)
DEFAULT_EMPLOYEE_TYPE: Final = 2

FIRST_NEW_EMPLOYEE_ID: Final = 1057235
FIRST_NEW_ADDRESS_ID: Final = 2250001
FIRST_NEW_BANK_ACCOUNT_ID: Final = 3160001
FIRST_NEW_CONTRACT_ID: Final = 4410001

_D = Decimal
SEED_EMPLOYEES: Final = (
    # id, company, number, first, prefix, last, initials, gender, birthday, BSN/personnummer,
    # e-mail, street, house number, postal code, city, IBAN, BIC, start, hours/week, salary
    SeedEmployee(503293, 54613, 1001, "Jan", "de", "Vries", "J.", "male", date(1984, 2, 11),
                 "725763863", "jan.devries@demo.example", "Keizersgracht", "112", "1015 CV",
                 "Amsterdam", "NL34INGB7817592285", "INGBNL2A", date(2018, 4, 1), _D(40),
                 _D("4250.00")),
    SeedEmployee(503294, 54613, 1002, "Anton", "de", "Jong", "A.", "male", date(1979, 9, 30),
                 "162275869", "anton.dejong@demo.example", "Oudegracht", "45", "3511 AB",
                 "Utrecht", "NL14RABO5554347649", "RABONL2U", date(2016, 1, 1), _D(40),
                 _D("5100.00")),
    SeedEmployee(503295, 54613, 1003, "Sanne", "", "Bakker", "S.", "female", date(1992, 6, 3),
                 "192285142", "sanne.bakker@demo.example", "Witte de Withstraat", "8", "3012 BP",
                 "Rotterdam", "NL43ABNA0379172786", "ABNANL2A", date(2020, 9, 1), _D(32),
                 _D("3320.00")),
    SeedEmployee(503296, 54613, 1004, "Mohammed", "el", "Amrani", "M.", "male",
                 date(1988, 12, 19), "691682483", "mohammed.elamrani@demo.example",
                 "Grote Markt", "21", "2511 BG", "Den Haag", "NL50TRIO6308979824", "TRIONL2U",
                 date(2019, 3, 1), _D(40), _D("3875.50")),
    SeedEmployee(503297, 54613, 1005, "Lotte", "van den", "Berg", "L.M.", "female",
                 date(1995, 1, 27), "688136138", "lotte.vandenberg@demo.example",
                 "Stratumseind", "3", "5611 EN", "Eindhoven", "NL61SNSB7472860242", "SNSBNL2A",
                 date(2021, 5, 1), _D(24), _D("2480.00")),
    SeedEmployee(503298, 54613, 1006, "Pieter", "", "Visser", "P.J.", "male", date(1975, 4, 8),
                 "321146487", "pieter.visser@demo.example", "Vismarkt", "17", "9712 CB",
                 "Groningen", "NL62ASNB1590376253", "ASNBNL21", date(2012, 10, 1), _D(40),
                 _D("6020.00")),
    SeedEmployee(503299, 54613, 1007, "Fatma", "", "Yilmaz", "F.", "female", date(1990, 11, 14),
                 "187891151", "fatma.yilmaz@demo.example", "Breestraat", "96", "2311 CV",
                 "Leiden", "NL86KNAB8435022133", "KNABNL2H", date(2022, 2, 1), _D(36),
                 _D("3610.00")),
    SeedEmployee(503300, 54613, 1008, "Daan", "", "Smit", "D.", "male", date(1998, 7, 22),
                 "178598835", "daan.smit@demo.example", "Nieuwstraat", "5", "6811 HV",
                 "Arnhem", "NL55BUNQ1626706729", "BUNQNL2A", date(2023, 8, 1), _D(40),
                 _D("2950.00")),
    SeedEmployee(503301, 54613, 1009, "Emma", "", "Mulder", "E.C.", "female", date(1986, 3, 5),
                 "467279627", "emma.mulder@demo.example", "Vrijthof", "30", "6211 LE",
                 "Maastricht", "NL24INGB2723879480", "INGBNL2A", date(2017, 6, 1), _D(28),
                 _D("3150.00")),
    SeedEmployee(503302, 54613, 1010, "Thijs", "", "Meijer", "T.", "male", date(1993, 10, 16),
                 "738199795", "thijs.meijer@demo.example", "Grote Berg", "12", "5611 KJ",
                 "Eindhoven", "NL25RABO2220395274", "RABONL2U", date(2024, 1, 1), _D(40),
                 _D("3480.00")),
    SeedEmployee(503303, 61001, 5001, "Erik", "", "Johansson", "E.", "male", date(1985, 4, 12),
                 "19850412-6080", "erik.johansson@demosverige.example", "Drottninggatan", "53",
                 "111 21", "Stockholm", "SE7450000000852750785275", "ESSESESS",
                 date(2019, 9, 1), _D(40), _D("42000.00")),
    SeedEmployee(503304, 61001, 5002, "Anna", "", "Lindqvist", "A.", "female",
                 date(1992, 7, 23), "19920723-1821", "anna.lindqvist@demosverige.example",
                 "Kungsportsavenyen", "10", "411 36", "Göteborg", "SE7580000000152968431513",
                 "SWEDSESS", date(2021, 1, 1), _D(40), _D("38500.00")),
    SeedEmployee(503305, 61001, 5003, "Lars", "", "Nilsson", "L.", "male", date(1978, 1, 30),
                 "19780130-2709", "lars.nilsson@demosverige.example", "Stortorget", "4",
                 "211 22", "Malmö", "SE8560000000283754186214", "HANDSESS", date(2015, 3, 1),
                 _D(40), _D("51000.00")),
    SeedEmployee(503306, 61001, 5004, "Maria", "", "Andersson", "M.", "female",
                 date(1988, 9, 16), "19880916-5593", "maria.andersson@demosverige.example",
                 "Storgatan", "22", "903 26", "Umeå", "SE3130000000441205687120", "NDEASESS",
                 date(2020, 6, 1), _D(30), _D("33900.00")),
    SeedEmployee(503307, 61001, 5005, "Karin", "", "Svensson", "K.", "female",
                 date(1995, 3, 5), "19950305-5114", "karin.svensson@demosverige.example",
                 "Vasagatan", "7", "753 13", "Uppsala", "SE2512000000971715402706", "DABASESX",
                 date(2023, 11, 1), _D(40), _D("36250.00")),
)  # fmt: skip
