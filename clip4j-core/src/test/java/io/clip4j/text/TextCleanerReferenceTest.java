package io.clip4j.text;

import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Text cleaning beyond the 42 fixture strings: mojibake from ftfy's own "in the wild" test inputs
 * (several deliberately mangled further), HTML entities, full-width forms, ANSI escapes, Turkish İ,
 * Greek final sigma, line breaks and the "&lt;" switch. Expected values were computed with ftfy 6.3.1,
 * Python 3.11's html.unescape / str.lower and the {@code regex} module, exactly as simple_tokenizer.py
 * does, and the ids with simple_tokenizer's BPE over this vocabulary.
 */
class TextCleanerReferenceTest {
    private static ClipBpeTokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException {
        tokenizer = ClipBpeTokenizer.load(Fixtures.path("models/tiny/hf"));
    }

    /** {input, cleaned, space-separated ids}. */
    private static final String[][] CASES = {
            {"He's Justin\u00E2\u009D\u00A4",
             "he's justin\u2764",
             "797 568 4394 2720"},
            {"Le Schtroumpf Docteur conseille g\u221A\u00A2teaux et baies schtroumpfantes pour un r\u221A\u00A9gime \u221A\u00A9quilibr\u221A\u00A9.",
             "le schtroumpf docteur conseille g\u00E2teaux et baies schtroumpfantes pour un r\u00E9gime \u00E9quilibr\u00E9.",
             "579 844 5181 1037 325 3009 27120 34887 5559 70 26170 600 8909 875 932 963 844 5181 1037 4467 542 8180 2271 29106 707 614 3459 666 2076 711 4166 269"},
            {"\u00E2\u0153\u201D No problems",
             "\u2714 no problems",
             "13749 871 4671"},
            {"\u0420\u0491\u0420\u0455\u0421\u0402\u0420\u0455\u0420\u0456\u0420\u00B5 \u0420\u0098\u0420\u00B7-\u0420\u0457\u0420\u0455\u0420\u0491 #\u0421\u201E\u0421\u0453\u0421\u201A\u0420\u00B1\u0420\u0455\u0420\u00BB",
             "\u0434\u043E\u0440\u043E\u0433\u0435 \u0438\u0437-\u043F\u043E\u0434 #\u0444\u0443\u0442\u0431\u043E\u043B",
             "140 112 13506 16370 20978 111 140 369 29503 371 268 26302 20978 368 258 27993 39729 17875 140 109 20978 375"},
            {"\u0084Handwerk bringt dich \u00FCberall hin\u0093: Von der YOU bis nach Monaco",
             "\"handwerk bringt dich \u00FCberall hin\": von der you bis nach monaco",
             "257 1722 30176 11596 339 67 1232 6522 867 615 37930 7811 8497 801 592 14461 43622 14938"},
            {"Some comments may be republished on the website or in the newspaper \u00EF\u00BF\u00BD email addresses will not be published.",
             "some comments may be republished on the website or in the newspaper \uFFFD email addresses will not be published.",
             "836 6606 1270 655 515 4311 525 518 3364 541 530 518 8786 39802 4462 12702 751 783 655 4311 269"},
            {"Hi guys \u00ED \u00BD\u00ED\u00B8\u008D",
             "hi guys \u00ED \u00BD\u00ED\u00B8\u008D",
             "1883 1791 23928 33613 23928 126 116 126 491"},
            {"hihi RT username: \u00E2\u0098\u00BA\u00ED \u00BD\u00ED\u00B8\u0098",
             "hihi rt username: \u00E2\u02DC\u00BA\u00ED \u00BD\u00ED\u00B8\u02DC",
             "36240 8991 28162 281 127 351 135 506 126 118 23928 33613 23928 126 116 135 506"},
            {"Beta Haber: H\u00C4\u00B1rs\u00C4\u00B1z\u00C4\u00B1 B\u00C3\u00BCy\u00C3\u00BC Korkuttu",
             "beta haber: h\u0131rs\u0131z\u0131 b\u00FCy\u00FC korkuttu",
             "9505 560 1516 281 71 18562 6978 18562 89 41901 38706 88 47177 6428 1836 44006"},
            {"\u00C4\u00B0stanbul",
             "i\u0307stanbul",
             "328 16384 11231"},
            {"RUF MICH ZUR\u00C3\u0153CK",
             "ruf mich zur\u00FCck",
             "681 325 23029 17128 6522 868"},
            {"R\u00C4\u00ABga",
             "r\u012Bga",
             "81 128 104 1531"},
            {"Iggy Pop (n\u00C3\u0192\u00C2\u00A9 Jim Osterberg)",
             "iggy pop (n\u00E9 jim osterberg)",
             "27604 2852 263 77 4166 4550 31781 3294 264"},
            {"Direzione Pd, ok \u00E2\u0080\u009Csenza modifiche\u0094 all'Italicum.",
             "direzione pd, ok \"senza modifiche\" all'italicum.",
             "38355 36161 4675 267 2481 257 1057 2186 9047 1788 797 257 615 262 2306 535 1008 269"},
            {"The Mona Lisa doesn\u00C3\u0192\u00C2\u00A2\u00C3\u00A2\u00E2\u20AC\u0161\u00C2\u00AC\u00C3\u00A2\u00E2\u20AC\u017E\u00C2\u00A2t have eyebrows.",
             "the mona lisa doesn't have eyebrows.",
             "518 19143 7424 2503 713 720 19923 269"},
            {"#\u2568\u2510\u2564\u00C7\u2568\u2591\u2568\u2593\u2568\u2555\u2568\u2557\u2564\u00EE\u2568\u255C\u2568\u255B\u2568\u2561\u2568\u2510\u2568\u2555\u2564\u00E9\u2568\u2591\u2568\u255C\u2568\u2555\u2568\u2561",
             "#\u043F\u0440\u0430\u0432\u0438\u043B\u044C\u043D\u043E\u0435\u043F\u0438\u0442\u0430\u043D\u0438\u0435",
             "258 26302 16370 31090 110 29503 119 141 234 22705 20978 113 26302 16701 17875 16912 22705 29503 369"},
            {"Li\u0102\u00A8ge Avenue de l'H\u0102\u00B4pital",
             "li\u00E8ge avenue de l'h\u00F4pital",
             "554 12138 710 7042 654 331 262 71 26815 79 1660"},
            {"T\u00C3\u00A1\u00BA\u00A1i sao gi\u00C3\u00A1 h\u00C3\u00A1\u00BA\u00A1t",
             "t\u1EA1i sao gi\u00E1 h\u1EA1t",
             "83 157 118 94 328 28026 707 22229 71 157 118 94 339"},
            {"Humanized HLA-DR4.RagKO.IL2R\u00CE\u00B3cKO.NOD (DRAG) mice",
             "humanized hla-dr4.ragko.il2r\u03B3cko.nod (drag) mice",
             "3175 7690 71 1210 268 1701 275 269 13958 2448 269 958 273 81 138 111 28818 269 18648 263 12463 264 19030"},
            {"It\u00C3?\u00C2\u00A2\u00E2?\u00AC\u00E2?\u00A2s classic. It\u00C3?\u00C2\u00A2\u00E2?\u00AC\u00E2?\u00A2s epic.",
             "it\uFFFD\u00A2\uFFFD\uFFFDs classic. it\uFFFD\u00A2\uFFFD\uFFFDs epic.",
             "585 47356 126 95 47356 39802 338 2713 269 585 47356 126 95 47356 39802 338 4991 269"},
            {"Europa, Asia, \u0102\uFFFDfrica, Norte, Am\u0102\u00A9rica Central y del Sur, Australia y Ocean\u0102\u00ADa",
             "europa, asia, \uFFFDfrica, norte, am\u00E9rica central y del sur, australia y ocean\u00EDa",
             "18290 267 5741 267 39802 69 14230 267 35638 267 548 3459 14230 3339 344 2003 7123 267 3444 344 12941 16609"},
            {"It was named\u00C2 \u00E2\u20AC\u017Escars\u00C2\u00B4 stones\u00E2\u20AC\u015B after the rock-climbers",
             "it was named \"scars\u00B4 stones\" after the rock-climbers",
             "585 739 3194 257 20747 12559 6885 257 953 518 2172 268 47648"},
            {"M\u0102\u0104m dost t\u0139\u0099et\u0102\u00ADho tis\u0102\u00ADcilet\u0102\u00AD",
             "m\u00E1m dost t\u0159et\u00EDho tis\u00EDcilet\u00ED",
             "36842 332 44222 83 129 247 1169 8366 2971 7839 8366 698 1898 23928"},
            {"vedere \u0102\u00AEnce\u0139\u0163o\u0139\u0178at\u00C4\u0083",
             "vedere \u0103\u00AEnce\u013A\u0163o\u013A\u00FFat\u0103",
             "45660 128 481 8436 77 685 128 118 129 96 78 128 118 127 123 527 128 481"},
            {"Nap\u0102\u00AD\u0139\u02C7te n\u0102\u02C7m !",
             "nap\u00ED\u0161te n\u00E1m !",
             "6568 8366 35621 756 77 7261 332 256"},
            {"a bigger-than-expected \u0413\u201A\u0412\u0408\u00A35.8bn rights issue",
             "a bigger-than-expected \u00A3\u00A35.8bn rights issue",
             "320 6806 268 1126 268 5573 31117 1950 276 269 279 7992 3336 3202"},
            {"hotel $49 $\u00CC\u00B66\u00CC\u00B63\u00CC\u00B6 updated 2018",
             "hotel $49 $\u03366\u03363\u0336 updated 2018",
             "2738 259 275 280 3 136 370 277 136 370 274 136 370 5974 273 271 272 279"},
            {"\u00C3\u00A2\u00E2\u20AC\u009D\u00E2\u20AC\u2122(\u00C3\u00A2\u00C5\u2019\u00C2\u00A3\u00C3\u2039\u00E2\u20AC\u00BA\u00C3\u00A2\u00C5\u2019\u00C2\u00A3)\u00C3\u00A2\u00E2\u20AC\u009D\u00C5\u00BD",
             "\u2512(\u2323\u02DB\u2323)\u250E",
             "13389 240 7 17848 96 135 249 17848 96 8 13389 492"},
            {"\u00C3\u00A2\u00E2\u20AC\uFFFD\u00E2\u20AC\u2122(\u00C3\u00A2\u00C5\u2019\u00C2\u00A3\u00C3\u2039\u00E2\u20AC\u00BA\u00C3\u00A2\u00C5\u2019\u00C2\u00A3)\u00C3\u00A2\u00E2\u20AC\uFFFD\u00C5\u00BD",
             "\uFFFD(\u2323\u02DB\u2323)\uFFFD",
             "47356 7 17848 96 135 249 17848 96 8 39802"},
            {"The ICR has been upgraded to \u00E2\u20AC\u0153bb+\u00E2\u20AC? from \u00E2\u20AC\u0153bb\u00E2\u20AC?",
             "the icr has been upgraded to \"bb+\uFFFD from \"bb\uFFFD",
             "518 535 337 791 1025 18577 531 257 3529 10 39802 633 257 3529 39802"},
            {"I just figured out how to tweet emojis! \u00E2\u009A\u00BD\u00ED\u00A0\u00BD\u00ED\u00B8\u0080\u00ED\u00A0\u00BD\u00ED\u00B8\u0081",
             "i just figured out how to tweet emojis! \u26BD\uD83D\uDE00\uD83D\uDE01",
             "328 761 15630 620 829 531 1842 27870 256 4867 12832 4821"},
            {"\u00E3\u2020\u00E2\u20AC\u2122\u00E3\u0192\u00E2\u20AC \u00E3\u00A2\u00E2\u201A\u00AC\u00E2\u201E\u00A2\u00E3\u0192\u00E6\u2019\u00E3\u201A\u00E2\u00A2",
             "\u00E3\u2020\u00E2\u20AC\u2122\u00E3\u0192\u00E2\u20AC \u00E3\u00A2\u00E2'\u00AC\u00E2\"\u00A2\u00E3\u0192\u00E6'\u00E3'\u00E2\u00A2",
             "127 352 728 510 127 351 34919 11675 19339 130 240 127 351 6309 127 352 41359 127 351 6 126 361 127 351 1 41359 19339 130 240 127 355 262 127 352 262 127 351 41359"},
            {"Ecuador\u00E2\u0080\u0099s \u00E2\u0080\u0098purely political decision on Assange\u00E2\u0080\u0099 is likely result of \u00E2\u0080\u0098US pressure\u00E2\u0080\u0099\u0085",
             "ecuador's 'purely political decision on assange' is likely result of 'us pressure'\u2026",
             "19813 568 262 32459 4197 5575 525 27565 262 533 5256 5659 539 262 718 6083 42120"},
            {"Campeonatos > III Divis\u00C3\u00A3o - S\u00C3\u00A9rie F > Jornadas Classifica\u00E7\u00E3o",
             "campeonatos > iii divis\u00E3o - s\u00E9rie f > jornadas classifica\u00E7\u00E3o",
             "49109 41643 285 6572 570 1301 21141 268 37879 5322 325 285 2482 6204 601 2507 1788 64 10067 21141"},
            {"\u0149 Chloroplas is \u0149 organel wat in fotosinterende plante voorkom.",
             "'n chloroplas is 'n organel wat in fotosinterende plante voorkom.",
             "262 333 23135 676 2552 533 262 333 3338 832 10621 530 15908 1303 600 737 654 1740 756 34291 24181 269"},
            {"izum \u201Ebootstrap load\u201C koji je kori\u0161te\u01CBem polisilicijskog sloja proizveo dovo\u01C9no dobre",
             "izum \"bootstrap load\" koji je kori\u0161tenjem polisilicijskog sloja proizveo dovoljno dobre",
             "2845 1008 257 10843 13946 2834 257 1313 2697 8776 74 1540 35621 1149 37530 9675 1556 948 73 909 8555 4303 2641 644 2845 673 334 639 1343 73 871 639 7782"},
            {"Nicol\u00C3\u00A1s wei\u221A\u00FC ART TRIP \u00C3\u00A0 l'office de tourisme",
             "nicol\u00E1s wei\u221A\u00FC art trip \u00E0 l'office de tourisme",
             "9919 7261 338 20952 17788 504 47177 794 2529 21259 331 262 2171 654 4224 15650"},
            {"This is signi\u043F\u00AC\u0403cantly lower than the respective share",
             "this is significantly lower than the respective share",
             "589 533 16187 4909 1126 518 25817 1978"},
            {"\u00C3 perturber la r\u00C3\u00A9flexion des th\u00C3\u00A9ologiens jusqu'\u00C3 nos jours",
             "\u00E0 perturber la r\u00E9flexion des th\u00E9ologiens jusqu'\u00E0 nos jours",
             "21259 703 985 1516 1210 29106 10032 525 1437 513 3459 78 3177 1323 669 9370 340 262 21259 13420 73 1491"},
            {"com especial aten\u00C3\u00A7\u00C3\u00A3o \u00C3 s crian\u00C3\u00A7as",
             "com especial aten\u00E7\u00E3o \u00E0s crian\u00E7as",
             "2464 68 1689 527 524 10067 21141 36149 338 1621 514 10067 601"},
            {"Troisi\u00C3\u00A8me \u00C3\u00A9dition pour ce festival qui persiste et signe \u00C3 s'\u00C3\u00A9loigner des grands axes",
             "troisi\u00E8me \u00E9dition pour ce festival qui persiste et signe \u00E0 s'\u00E9loigner des grands axes",
             "1046 7233 12138 614 3459 3015 8180 629 2240 18046 11509 2686 875 872 1422 21259 338 262 3459 549 1089 998 1437 3892 646 45970"},
            {"Le bar\u00C3\u00A8me forfaitaire permet l\u2019\u00C3\u00A9valuation des frais de d\u00C3\u00A9placement relatifs \u00C3 l\u2019utilisation",
             "le bar\u00E8me forfaitaire permet l'\u00E9valuation des frais de d\u00E9placement relatifs \u00E0 l'utilisation",
             "579 1040 12138 614 645 778 529 7682 703 2340 331 262 3459 25894 1437 3368 533 654 25466 16724 1825 591 3854 21259 331 262 28824 7194"},
            {"&lt;tag&gt; &Jscr;ohn &HilbertSpace;ancock &checkmark; P&EACUTE;REZ BUNDESSTRA&SZLIG;E &ntilde; &Ntilde; &NTILDE; &nTILDE;",
             "<tag> \uD835\uDCA5ohn \u210Bancock \u2713 p\u00E9rez bundesstrasse \u00F1 \u00F1 \u00F1 &ntilde;",
             "283 3640 285 43387 98 48043 8604 233 514 622 868 36700 43167 15192 2591 6797 1894 8938 127 365 127 365 127 365 261 77 6124 654 282"},
            {"this&not that &amp &ampx &#x2019; &#8217 &#128512; &#0; &#x110000;",
             "this\u00AC that & &x ' \u2019 \uD83D\uDE00 \uFFFD \uFFFD",
             "589 126 361 682 261 261 343 262 728 503 7334 39802 39802"},
            {"\u00AF\\\\_(\u00E3\u0083\u0084)_/\u00AF &macr;\\\\_(\u00E3\u0083\u0084)_/&macr;",
             "\u00AF\\\\_(\u30C4)_/\u00AF \u00AF\\\\_(\u30C4)_/\u00AF",
             "44096 59 36951 32173 45781 44096 59 36951 32173 45781"},
            {"Broken text&hellip; it&#x2019;s \uFB02ubberi\uFB01c!",
             "broken text\u2026 it's flubberific!",
             "5107 4160 959 585 568 3698 65 867 72 2059 256"},
            {"\uFF2C\uFF2F\uFF35\uFF24\u3000\uFF2E\uFF2F\uFF29\uFF33\uFF25\uFF33 \uFF35\uFF80\uFF70\uFF9D",
             "loud noises u\u30BF\u30FC\u30F3",
             "7464 31575 84 34941 18584 367"},
            {"\u001B[36;44mI'm blue, da ba dee da ba doo...\u001B[0m",
             "i'm blue, da ba dee da ba doo...",
             "328 880 1746 267 1140 1792 6705 1140 1792 11643 678"},
            {"\u0130STANBUL \u0130i \u039F\u0394\u039F\u03A3 \u03A3\u0391\u03A3. \u03A3",
             "i\u0307stanbul i\u0307i \u03BF\u03B4\u03BF\u03C2 \u03C3\u03B1\u03C2. \u03C3",
             "328 16384 11231 328 16384 328 138 123 138 112 138 123 139 480 139 225 138 109 139 480 269 139 481"},
            {"caf\u00C3\u00A9 <b>caf\u00C3\u00A9 &amp;</b>\nnext &amp; line",
             "caf\u00E9 <b>caf\u00E9 &</b> next & line",
             "15304 283 321 285 15304 5 34308 321 285 1131 261 1148"},
            {"first &amp; line\r\nsecond <line> &amp;amp;\nthird &amp;",
             "first & line second <line> & third &",
             "874 261 1148 2241 283 1148 285 261 3981 261"}
    };

    static Stream<Arguments> cases() {
        return Arrays.stream(CASES).map(c -> Arguments.of(c[0], c[1], c[2]));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void cleanedAndIds(String text, String cleaned, String ids) {
        assertEquals(cleaned, TextCleaner.clean(text));
        int[] want = ids.isEmpty() ? new int[0] : Arrays.stream(ids.split(" ")).mapToInt(Integer::parseInt).toArray();
        assertArrayEquals(want, tokenizer.encode(text));
    }

    /** Python's html.unescape on its edge cases (values from Python 3.11). */
    @Test
    void pythonHtmlUnescape() {
        String[][] cases = {
                {"&amp", "&"}, {"&ampx", "&x"}, {"&notit;", "\u00ACit;"}, {"&#x80;", "\u20AC"}, {"&#0;", "\uFFFD"},
                {"&#1;", ""}, {"&#xD800;", "\uFFFD"}, {"&#99999999999;", "\uFFFD"}, {"&#65", "A"}, {"&#x41g", "Ag"},
                {"&AMP;", "&"}, {"&Amp;", "&Amp;"}, {"&lt&gt", "<>"}, {"&#13;", "\r"}, {"&#x9D;", "\u009D"},
                {"&#xFDD0;", ""}, {"&#x1FFFF;", ""}, {"&notin", "\u00ACin"}, {"&unknown;", "&unknown;"},
                {"& amp;", "& amp;"}, {"&#;", "&#;"},
        };
        for (String[] c : cases) assertEquals(c[1], HtmlUnescape.unescape(c[0]), c[0]);
    }

    /** bytes.decode('utf-8', errors='replace') (values from Python 3.11). */
    @Test
    void utf8ReplaceLikePython() {
        assertEquals("\uFFFD", Utf8.decodeReplace(bytes(0xE2, 0x82)));
        assertEquals("\uFFFDa", Utf8.decodeReplace(bytes(0xF0, 0x9F, 0x98, 'a')));
        assertEquals("\uFFFD\uFFFD\uFFFD", Utf8.decodeReplace(bytes(0xED, 0xA0, 0x80)));
        assertEquals("\uFFFD\uFFFD", Utf8.decodeReplace(bytes(0xC0, 0x80)));
        assertEquals("\uFFFD\uFFFD\uFFFD\uFFFD", Utf8.decodeReplace(bytes(0xF4, 0x90, 0x80, 0x80)));
        assertEquals("\uFFFD\uFFFD\uFFFD", Utf8.decodeReplace(bytes(0xE0, 0x80, 0xAF)));
        assertEquals("ab\uFFFDcd", Utf8.decodeReplace(bytes('a', 'b', 0xFF, 'c', 'd')));
        assertEquals("\u20AC", Utf8.decodeReplace(bytes(0xE2, 0x82, 0xAC)));
        // ftfy's utf-8-variants: Java-style NUL and CESU-8 pairs are accepted, lone surrogates are not
        assertEquals("\u0000", Utf8.decodeVariants(bytes(0xC0, 0x80)));
        assertEquals("\uD83D\uDE00", Utf8.decodeVariants(bytes(0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80)));
        assertEquals(null, Utf8.decodeVariants(bytes(0xED, 0xA0, 0xBD)));
    }

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }

    /** str.lower(), str.strip() and the regex module's \\s. */
    @Test
    void pythonStringSemantics() {
        // U+0130 lower-cases to two code points; Java's Character.toLowerCase would give plain 'i'
        assertEquals("i\u0307stanbul", PythonText.lower("\u0130STANBUL"));
        // final sigma: at the end of a word (skipping case-ignorable '.'), not inside or alone
        assertEquals("\u03BF\u03B4\u03BF\u03C2 \u03C3\u03B1\u03C2. \u03C3", PythonText.lower("\u039F\u0394\u039F\u03A3 \u03A3\u0391\u03A3. \u03A3"));
        assertEquals("\u03B1\u03C3\u03B1", PythonText.lower("\u0391\u03A3\u0391"));
        // Unicode 15/16 letters unknown to Python 3.11 keep their case
        assertEquals("\uA7CB", PythonText.lower("\uA7CB"));
        // str.strip() removes U+001C..U+001F, regex's \\s does not collapse them
        assertEquals("a\u001Cb", PythonText.strip("  \u001C a\u001Cb \u001F "));
        assertEquals("a\u001Cb c d", PythonText.collapseWhitespace("a\u001Cb\u0085c\u2028d"));
    }

    /** The regex split's oddities under IGNORECASE (checked against the regex module). */
    @Test
    void pretokenizerCaseInsensitivity() {
        assertEquals(java.util.List.of("it", "'\u017F", "a", "\u017F", "<|\u017Ftartoftext|>", "\u0131", "'", "\u0131"),
                PreTokenizer.split("it'\u017F a \u017F <|\u017Ftartoftext|> \u0131 '\u0131"));
        // U+0345 has Greek letters as case variants, so it matches neither letters nor "other"
        assertEquals(java.util.List.of("a", "b", "x", "!", "ab", "!!"),
                PreTokenizer.split("a\u0345b \u0345 x\u0345! ab\u0345\u0345!!"));
        assertEquals(java.util.List.of("1", "2", "3", "\u2167", "x", "'s", "'", "\u00B2"),
                PreTokenizer.split("123\u2167x's '\u00B2"));
    }
}
