"""Draw the demo catalog's flat product illustrations (SVG) from catalog.csv, deterministically."""

import colorsys
import csv
import hashlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
CSV_PATH = HERE / "catalog.csv"
OUT_DIR = HERE.parents[1] / "static" / "products"

# Shape templates keyed by the middle part of the SKU (APP-TEE-001 -> TEE).
# Placeholders: m main, d dark, l light, a accent, b accent 2, w off-white,
# k near-black, g gold, s silver, bg2 backdrop disc.
TEE = (
    '<path d="M226 122 263 106Q300 136 337 106L374 122 470 182 432 258 396 238V482H204V238L168 258 130 182Z" fill="{m}"/>'
)
SHIRT_BODY = (
    '<path d="M220 122 262 106 300 130 338 106 380 122Q440 150 452 220L482 440 432 450 404 270V488H196V270L168 450 118 440 148 220Q160 150 220 122Z" fill="{m}"/>'
)
PANTS = (
    '<path d="M212 110H388L414 488H322L300 214 278 488H186Z" fill="{m}"/>'
    '<rect x="212" y="110" width="176" height="30" fill="{d}"/>'
    '<path d="M300 140V214M226 140Q240 186 282 190M374 140Q360 186 318 190" fill="none" stroke="{d}" stroke-width="6"/>'
    '<path d="M194 454H276M324 454H406" stroke="{d}" stroke-width="6"/>'
)

T = {
    "TEE": TEE + '<path d="M263 106Q300 150 337 106" fill="none" stroke="{d}" stroke-width="12"/>'
    '<rect x="320" y="196" width="44" height="50" rx="6" fill="{d}" opacity=".3"/>',
    "VNK": TEE + '<path d="M263 106 300 176 337 106" fill="none" stroke="{d}" stroke-width="12" stroke-linejoin="round"/>'
    '<path d="M150 210 182 248M450 210 418 248" stroke="{l}" stroke-width="12"/>',
    "POL": TEE + '<rect x="290" y="136" width="20" height="84" fill="{d}"/>'
    '<circle cx="300" cy="160" r="5" fill="{w}"/><circle cx="300" cy="194" r="5" fill="{w}"/>'
    '<path d="M263 106 300 140 278 176 248 118ZM337 106 300 140 322 176 352 118Z" fill="{l}"/>'
    '<rect x="204" y="462" width="192" height="20" fill="{d}"/>',
    "SHR": SHIRT_BODY + '<path d="M300 130V488" stroke="{d}" stroke-width="5"/>'
    '<path d="M262 106 300 130 272 172 246 116ZM338 106 300 130 328 172 354 116Z" fill="{l}"/>'
    '<g fill="{w}"><circle cx="312" cy="200" r="6"/><circle cx="312" cy="270" r="6"/><circle cx="312" cy="340" r="6"/><circle cx="312" cy="410" r="6"/></g>'
    '<rect x="226" y="200" width="48" height="56" rx="4" fill="{d}" opacity=".25"/>',
    "HOD": SHIRT_BODY + '<path d="M236 124Q240 60 300 60 360 60 364 124 300 170 236 124Z" fill="{d}"/>'
    '<path d="M256 128Q300 156 344 128" fill="{k}" opacity=".35"/>'
    '<path d="M284 150V214M316 150V214" stroke="{w}" stroke-width="6" stroke-linecap="round"/>'
    '<path d="M236 360H364L392 448H208Z" fill="{d}" opacity=".35"/>'
    '<rect x="196" y="466" width="208" height="22" fill="{d}"/>',
    "JNS": PANTS + '<path d="M300 214V470" stroke="{l}" stroke-width="4" stroke-dasharray="8 8"/>',
    "CHN": PANTS,
    "DRS": '<path d="M258 108 282 98Q300 128 318 98L342 108 382 130 372 176 348 168 352 262 450 488H150L248 262 252 168 228 176 218 130Z" fill="{m}"/>'
    '<path d="M282 98 300 150 318 98" fill="none" stroke="{d}" stroke-width="8"/>'
    '<rect x="244" y="244" width="112" height="24" fill="{d}"/>'
    '<path d="M300 268 278 330M300 268 326 326" stroke="{d}" stroke-width="10" stroke-linecap="round"/>'
    '<path d="M300 268 260 488M300 268 340 488" stroke="{d}" stroke-width="3" opacity=".3"/>',
    "JKT": SHIRT_BODY + '<path d="M300 130V488" stroke="{d}" stroke-width="6"/>'
    '<path d="M262 106 300 130 264 190 236 116ZM338 106 300 130 336 190 364 116Z" fill="{d}"/>'
    '<path d="M226 230H282V262L254 276 226 262ZM318 230H374V262L346 276 318 262Z" fill="{d}"/>'
    '<g fill="{g}"><circle cx="254" cy="262" r="6"/><circle cx="346" cy="262" r="6"/><circle cx="286" cy="330" r="6"/><circle cx="286" cy="400" r="6"/></g>'
    '<rect x="196" y="458" width="208" height="30" fill="{d}"/>',
    "SKT": '<rect x="222" y="110" width="156" height="36" rx="6" fill="{d}"/>'
    '<path d="M222 146H378L452 480H148Z" fill="{m}"/>'
    '<path d="M262 146 222 480M300 146V480M338 146 378 480M242 146 185 480M358 146 415 480" stroke="{d}" stroke-width="4" opacity=".35"/>',
    # shoes (toe to the right)
    "SNK": '<path d="M112 420V336Q112 300 150 300L236 292Q262 252 300 244H330Q366 306 440 330 500 350 500 420Z" fill="{m}"/>'
    '<path d="M440 330Q500 350 500 420H436Q428 370 440 330Z" fill="{w}"/>'
    '<path d="M96 416H508Q520 416 518 438L514 462H100Q86 462 88 440Z" fill="{w}"/>'
    '<path d="M92 444H516" stroke="{d}" stroke-width="8"/>'
    '<path d="M286 270 318 294M306 286 338 308M326 302 358 322M346 316 378 334" stroke="{w}" stroke-width="9" stroke-linecap="round"/>'
    '<circle cx="200" cy="360" r="14" fill="{a}"/>',
    "RUN": '<path d="M120 404Q104 330 150 292L238 276Q270 246 310 246 360 296 436 320 500 344 506 396Z" fill="{m}"/>'
    '<path d="M104 404Q300 374 506 396L504 430Q496 452 470 452H150Q104 452 104 404Z" fill="{w}"/>'
    '<path d="M112 440Q300 424 502 440" stroke="{a}" stroke-width="12" stroke-linecap="round"/>'
    '<path d="M170 390Q270 300 380 340" fill="none" stroke="{a}" stroke-width="16" stroke-linecap="round"/>'
    '<path d="M290 266 320 292M312 280 342 304M334 294 364 316" stroke="{d}" stroke-width="8" stroke-linecap="round"/>',
    "CRT": '<path d="M112 420V350Q112 310 152 306L240 300Q270 268 310 264H336Q376 318 444 338 502 356 502 420Z" fill="{w}"/>'
    '<path d="M112 350Q112 310 152 306L196 302V420H112Z" fill="{m}"/>'
    '<path d="M98 414H506Q516 414 514 436V458H104Q90 458 92 436Z" fill="{l}"/>'
    '<path d="M104 434H510" stroke="{d}" stroke-width="4" stroke-dasharray="10 8"/>'
    '<g fill="{d}" opacity=".5"><circle cx="430" cy="372" r="5"/><circle cx="452" cy="380" r="5"/><circle cx="440" cy="394" r="5"/><circle cx="462" cy="400" r="5"/></g>'
    '<path d="M296 286 326 310M318 300 348 322M340 314 370 334" stroke="{m}" stroke-width="8" stroke-linecap="round"/>',
    "CHL": '<path d="M172 130H302V318Q334 356 420 374 498 390 500 440H160V300Z" fill="{m}"/>'
    '<path d="M218 130H286Q282 240 252 296 222 240 218 130Z" fill="{d}"/>'
    '<path d="M236 140Q240 220 252 270M268 140Q264 220 252 270" fill="none" stroke="{k}" stroke-width="4" opacity=".3"/>'
    '<path d="M160 124Q160 96 186 96H204V144H160Z" fill="{d}"/>'
    '<path d="M150 440H508V470H250V486H166V470Q150 470 150 458Z" fill="{k}"/>',
    "BOT": '<path d="M168 120H300L306 300Q340 340 420 362 500 382 500 430H160V300Z" fill="{m}"/>'
    '<path d="M306 300Q340 340 420 362 500 382 500 430H410Q400 370 306 330Z" fill="{d}"/>'
    '<path d="M160 400H500" stroke="{d}" stroke-width="6"/>'
    '<path d="M150 430H508V466Q508 474 500 474H160Q150 474 150 464Z" fill="{k}"/>'
    '<path d="M150 474h358" stroke="{k}" stroke-width="10" stroke-dasharray="18 10"/>'
    '<path d="M290 160H320M292 200H322M294 240H324M298 280H330" stroke="{w}" stroke-width="8" stroke-linecap="round"/>'
    '<rect x="164" y="112" width="140" height="24" rx="10" fill="{l}"/>',
    "LOF": '<path d="M110 426Q108 350 170 342L300 346Q420 336 482 376 512 396 506 426Z" fill="{m}"/>'
    '<path d="M300 346Q380 330 430 356 400 376 330 378 280 370 300 346Z" fill="{d}"/>'
    '<path d="M292 372Q340 392 400 370" fill="none" stroke="{d}" stroke-width="14"/>'
    '<path d="M340 376h36" stroke="{k}" stroke-width="8" stroke-linecap="round"/>'
    '<path d="M100 424H512V440Q512 454 496 454H120Q100 454 100 436Z" fill="{k}"/>'
    '<rect x="118" y="454" width="64" height="14" fill="{k}"/>',
    "SLD": '<path d="M96 420Q100 400 130 400H470Q510 400 510 426 510 452 470 452H130Q96 452 96 420Z" fill="{l}"/>'
    '<path d="M96 432Q300 452 510 432V446Q510 466 480 466H130Q96 466 96 446Z" fill="{d}"/>'
    '<path d="M240 404Q262 292 350 290 430 292 452 404Z" fill="{m}"/>'
    '<path d="M276 340H428" stroke="{w}" stroke-width="12" opacity=".7"/>',
    "PMP": '<path d="M150 300 186 296Q240 390 330 410 460 420 494 446 500 470 470 472H340Q270 466 222 416L214 480H172L160 404Q140 350 150 300Z" fill="{m}"/>'
    '<path d="M158 306 186 296Q240 390 330 410 380 416 404 422 300 432 238 400 176 366 158 306Z" fill="{d}" opacity=".45"/>'
    '<path d="M172 480H214L216 466H170Z" fill="{k}"/>',
    "SLP": '<path d="M110 430Q100 350 190 340L300 346Q420 330 480 380 510 400 506 430Z" fill="{m}"/>'
    '<path d="M300 346Q420 330 480 380 506 400 506 430H440Q440 372 300 346Z" fill="{d}" opacity=".35"/>'
    '<path d="M134 352Q140 316 220 318 306 320 312 350 230 370 134 352Z" fill="{w}"/>'
    '<path d="M318 360Q400 344 450 386" fill="none" stroke="{w}" stroke-width="6" stroke-dasharray="12 10" stroke-linecap="round"/>'
    '<path d="M100 428H512V440Q512 456 496 456H118Q100 456 100 440Z" fill="{k}"/>',
    # bags & accessories
    "TOT": '<path d="M220 250Q220 110 300 110 380 110 380 250" fill="none" stroke="{d}" stroke-width="20"/>'
    '<path d="M150 240H450L478 490H122Z" fill="{m}"/>'
    '<path d="M140 330H460L466 376H134Z" fill="{a}"/>'
    '<path d="M220 240V290M380 240V290" stroke="{d}" stroke-width="20"/>',
    "BPK": '<path d="M260 150Q260 104 300 104 340 104 340 150" fill="none" stroke="{d}" stroke-width="16"/>'
    '<rect x="170" y="140" width="260" height="350" rx="70" fill="{m}"/>'
    '<rect x="206" y="330" width="188" height="140" rx="30" fill="{d}"/>'
    '<path d="M222 360H378" stroke="{l}" stroke-width="6"/>'
    '<path d="M190 212Q300 170 410 212" fill="none" stroke="{d}" stroke-width="6"/>'
    '<rect x="288" y="366" width="24" height="10" rx="4" fill="{a}"/>'
    '<rect x="140" y="230" width="30" height="170" rx="15" fill="{d}"/><rect x="430" y="230" width="30" height="170" rx="15" fill="{d}"/>',
    "CRS": '<path d="M176 320 300 90 424 320" fill="none" stroke="{d}" stroke-width="10"/>'
    '<path d="M160 300H440V470Q440 490 420 490H180Q160 490 160 470Z" fill="{m}"/>'
    '<path d="M160 300H440V372Q300 430 160 372Z" fill="{d}"/>'
    '<circle cx="300" cy="398" r="14" fill="{g}"/>',
    "WAL": '<rect x="190" y="190" width="190" height="120" rx="10" fill="{a}"/>'
    '<rect x="222" y="170" width="190" height="120" rx="10" fill="{b}"/>'
    '<rect x="130" y="240" width="340" height="220" rx="24" fill="{m}"/>'
    '<rect x="146" y="256" width="308" height="188" rx="16" fill="none" stroke="{l}" stroke-width="4" stroke-dasharray="10 8"/>'
    '<path d="M130 300H470" stroke="{d}" stroke-width="10"/>',
    "SUN": '<path d="M128 250H280L300 262 320 250H472" fill="none" stroke="{d}" stroke-width="14" stroke-linejoin="round"/>'
    '<path d="M126 250 96 230M474 250 504 230" stroke="{d}" stroke-width="14" stroke-linecap="round"/>'
    '<circle cx="204" cy="316" r="82" fill="{k}" stroke="{m}" stroke-width="16"/>'
    '<circle cx="396" cy="316" r="82" fill="{k}" stroke="{m}" stroke-width="16"/>'
    '<path d="M160 300Q170 268 200 260M352 300Q362 268 392 260" fill="none" stroke="{w}" stroke-width="10" stroke-linecap="round" opacity=".6"/>',
    "WCH": '<rect x="250" y="80" width="100" height="440" rx="20" fill="{m}"/>'
    '<path d="M250 160H350M250 440H350" stroke="{d}" stroke-width="4"/>'
    '<rect x="388" y="282" width="26" height="36" rx="6" fill="{g}"/>'
    '<circle cx="300" cy="300" r="100" fill="{g}"/><circle cx="300" cy="300" r="84" fill="{w}"/>'
    '<path d="M300 224V238M300 362V376M224 300H238M362 300H376" stroke="{k}" stroke-width="6"/>'
    '<path d="M300 300V248M300 300 338 322" stroke="{k}" stroke-width="8" stroke-linecap="round"/>'
    '<circle cx="300" cy="300" r="8" fill="{a}"/>',
    "BLT": '<path d="M70 268H420V332H70Z" fill="{m}"/>'
    '<path d="M70 284H420M70 316H420" stroke="{l}" stroke-width="3" stroke-dasharray="8 6"/>'
    '<g fill="{d}"><circle cx="130" cy="300" r="8"/><circle cx="180" cy="300" r="8"/><circle cx="230" cy="300" r="8"/></g>'
    '<rect x="400" y="236" width="110" height="128" rx="18" fill="none" stroke="{s}" stroke-width="18"/>'
    '<path d="M420 300H500" stroke="{s}" stroke-width="12" stroke-linecap="round"/>',
    "DUF": '<path d="M220 250Q220 170 300 170 380 170 380 250" fill="none" stroke="{d}" stroke-width="18"/>'
    '<path d="M130 330Q130 240 210 240H390Q470 240 470 330V450Q470 470 450 470H150Q130 470 130 450Z" fill="{m}"/>'
    '<path d="M150 262Q300 290 450 262" fill="none" stroke="{l}" stroke-width="6"/>'
    '<path d="M220 240V470M380 240V470" stroke="{d}" stroke-width="16"/>'
    '<circle cx="300" cy="268" r="10" fill="{g}"/>',
    "CAP": '<path d="M160 370Q160 210 300 206 440 210 440 370Z" fill="{m}"/>'
    '<path d="M300 206Q256 280 262 370M300 206Q344 280 338 370" fill="none" stroke="{d}" stroke-width="5"/>'
    '<path d="M140 370Q330 340 524 396 528 420 494 420 320 384 140 392Z" fill="{d}"/>'
    '<circle cx="300" cy="206" r="12" fill="{d}"/>'
    '<circle cx="212" cy="270" r="6" fill="{d}"/><circle cx="388" cy="270" r="6" fill="{d}"/>',
    "SCF": '<path d="M230 110Q300 90 370 110L360 170Q300 186 240 170Z" fill="{d}"/>'
    '<path d="M240 160 222 470H300L318 176Z" fill="{m}"/><path d="M318 176 344 440H410L360 160Z" fill="{m}"/>'
    '<path d="M240 214H316M236 280H312M232 346H306M228 412H302M324 230H368M330 300H378M336 370H390" stroke="{a}" stroke-width="14"/>'
    '<path d="M230 470V500M250 470V500M270 470V500M290 470V500M352 440V470M372 440V470M392 440V470" stroke="{m}" stroke-width="6" stroke-linecap="round"/>',
    # home & kitchen
    "MUG": '<path d="M384 270Q464 270 464 340 464 410 384 410" fill="none" stroke="{m}" stroke-width="30"/>'
    '<rect x="176" y="220" width="214" height="260" rx="26" fill="{m}"/>'
    '<rect x="176" y="320" width="214" height="40" fill="{a}"/>'
    '<ellipse cx="283" cy="224" rx="100" ry="12" fill="{d}"/>'
    '<path d="M250 190Q232 160 250 130 268 100 250 70M310 190Q292 160 310 130 328 100 310 70" fill="none" stroke="{l}" stroke-width="10" stroke-linecap="round"/>',
    "KTL": '<path d="M212 240Q210 150 300 150 390 150 388 240" fill="none" stroke="{k}" stroke-width="16"/>'
    '<path d="M188 300Q96 300 70 210" fill="none" stroke="{s}" stroke-width="16" stroke-linecap="round"/>'
    '<path d="M180 470Q164 300 230 240H370Q436 300 420 470Z" fill="{m}"/>'
    '<ellipse cx="300" cy="240" rx="76" ry="16" fill="{d}"/><circle cx="300" cy="222" r="14" fill="{k}"/>'
    '<rect x="160" y="460" width="280" height="30" rx="10" fill="{k}"/>',
    "PAN": '<path d="M378 300 540 250 552 286 390 344Z" fill="{d}"/>'
    '<circle cx="530" cy="268" r="9" fill="{bg}"/>'
    '<circle cx="250" cy="320" r="160" fill="{k}"/><circle cx="250" cy="320" r="130" fill="{d}"/>'
    '<path d="M170 260Q200 220 250 212" fill="none" stroke="{w}" stroke-width="10" stroke-linecap="round" opacity=".35"/>',
    "BWL": '<path d="M120 330H480Q470 480 300 480 130 480 120 330Z" fill="{m}"/>'
    '<ellipse cx="300" cy="330" rx="180" ry="26" fill="{d}"/>'
    '<path d="M170 250H430Q424 350 300 352 176 350 170 250Z" fill="{l}"/>'
    '<ellipse cx="300" cy="250" rx="130" ry="20" fill="{a}"/>'
    '<path d="M220 180H380Q376 246 300 248 224 246 220 180Z" fill="{a}"/>'
    '<ellipse cx="300" cy="180" rx="80" ry="14" fill="{b}"/>',
    "CND": '<path d="M300 170Q280 140 300 100 320 140 300 170Z" fill="#f4a340"/>'
    '<path d="M300 164Q292 148 300 128 308 148 300 164Z" fill="#fde7a0"/>'
    '<path d="M300 170V200" stroke="{k}" stroke-width="5"/>'
    '<rect x="200" y="190" width="200" height="290" rx="26" fill="{l}"/>'
    '<rect x="212" y="230" width="176" height="238" rx="18" fill="{w}"/>'
    '<rect x="200" y="320" width="200" height="90" fill="{m}"/>',
    "PIL": '<path d="M130 170Q300 204 470 170 440 325 470 480 300 446 130 480 160 325 130 170Z" fill="{m}"/>'
    '<path d="M170 220 430 430M430 220 170 430" stroke="{l}" stroke-width="24" opacity=".6"/>'
    '<circle cx="300" cy="325" r="22" fill="{d}"/>',
    "TWL": '<rect x="130" y="380" width="340" height="100" rx="24" fill="{m}"/>'
    '<path d="M130 440H470" stroke="{w}" stroke-width="10"/>'
    '<rect x="150" y="290" width="300" height="94" rx="24" fill="{a}"/>'
    '<path d="M150 346H450" stroke="{w}" stroke-width="10"/>'
    '<rect x="170" y="206" width="260" height="88" rx="24" fill="{l}"/>'
    '<path d="M170 258H430" stroke="{d}" stroke-width="8"/>',
    "PLT": '<path d="M300 380Q270 260 190 210 260 210 300 300Z" fill="#4f9a5a"/>'
    '<path d="M300 380Q330 240 420 190 350 200 300 300Z" fill="#3f8a4d"/>'
    '<path d="M300 380Q290 200 300 120 320 220 300 380Z" fill="#66b36e"/>'
    '<path d="M210 370H390L370 488H230Z" fill="{m}"/>'
    '<rect x="196" y="360" width="208" height="34" rx="8" fill="{d}"/>'
    '<rect x="200" y="488" width="200" height="16" rx="8" fill="{d}"/>',
    "FRP": '<rect x="288" y="96" width="24" height="60" fill="{s}"/><circle cx="300" cy="92" r="18" fill="{k}"/>'
    '<rect x="200" y="150" width="200" height="28" rx="8" fill="{k}"/>'
    '<path d="M400 210H450V420H400" fill="none" stroke="{k}" stroke-width="24"/>'
    '<rect x="210" y="178" width="180" height="290" fill="#dcebf2"/>'
    '<rect x="210" y="270" width="180" height="198" fill="#6b4a32"/>'
    '<path d="M198 178H402V468H198" fill="none" stroke="{m}" stroke-width="12"/>'
    '<rect x="190" y="462" width="220" height="24" rx="8" fill="{m}"/>',
    "BRD": '<path d="M150 160H450Q470 160 470 180V460Q470 480 450 480H150Q130 480 130 460V180Q130 160 150 160Z" fill="{m}"/>'
    '<circle cx="300" cy="200" r="18" fill="{bg}"/>'
    '<path d="M170 260Q300 240 430 270M170 330Q300 310 430 340M170 400Q300 380 430 410" fill="none" stroke="{d}" stroke-width="5" opacity=".5"/>',
    # beauty
    "LIP": '<rect x="250" y="300" width="100" height="190" rx="8" fill="{k}"/>'
    '<rect x="258" y="230" width="84" height="80" rx="4" fill="{g}"/>'
    '<path d="M266 232V160L334 120V232Z" fill="{m}"/>'
    '<path d="M334 120V232H316V132Z" fill="{d}" opacity=".4"/>',
    "SER": '<ellipse cx="300" cy="120" rx="26" ry="36" fill="{k}"/>'
    '<rect x="262" y="150" width="76" height="50" rx="8" fill="{g}"/>'
    '<rect x="220" y="196" width="160" height="290" rx="36" fill="{m}"/>'
    '<rect x="236" y="290" width="128" height="130" rx="12" fill="{w}"/>'
    '<rect x="252" y="320" width="60" height="12" rx="6" fill="{l}"/><rect x="252" y="346" width="90" height="8" rx="4" fill="{l}"/>',
    "CRM": '<rect x="160" y="230" width="280" height="70" rx="18" fill="{d}"/>'
    '<rect x="170" y="290" width="260" height="190" rx="40" fill="{m}"/>'
    '<rect x="170" y="340" width="260" height="80" fill="{w}"/>'
    '<circle cx="300" cy="380" r="22" fill="{l}"/>',
    "PRF": '<rect x="256" y="110" width="88" height="74" rx="10" fill="{g}"/>'
    '<rect x="280" y="184" width="40" height="34" fill="{s}"/>'
    '<rect x="170" y="216" width="260" height="270" rx="40" fill="{m}" opacity=".85"/>'
    '<rect x="200" y="246" width="200" height="210" rx="26" fill="{l}" opacity=".6"/>'
    '<path d="M220 270V420" stroke="{w}" stroke-width="14" stroke-linecap="round" opacity=".7"/>',
    "PAL": '<rect x="110" y="170" width="380" height="280" rx="30" fill="{k}"/>'
    '<circle cx="200" cy="260" r="48" fill="{m}"/><circle cx="300" cy="260" r="48" fill="{l}"/><circle cx="400" cy="260" r="48" fill="{a}"/>'
    '<circle cx="200" cy="364" r="48" fill="{d}"/><circle cx="300" cy="364" r="48" fill="{b}"/><circle cx="400" cy="364" r="48" fill="#b8865f"/>',
    "NAI": '<rect x="266" y="110" width="68" height="170" rx="12" fill="{k}"/>'
    '<rect x="254" y="270" width="92" height="30" rx="6" fill="{k}"/>'
    '<path d="M230 300H370Q410 300 410 350V450Q410 490 370 490H230Q190 490 190 450V350Q190 300 230 300Z" fill="{m}"/>'
    '<path d="M220 340Q220 320 240 320" fill="none" stroke="{w}" stroke-width="10" stroke-linecap="round" opacity=".6"/>',
    "SHM": '<path d="M290 150V120H370V144H350V130H310V150Z" fill="{k}"/>'
    '<rect x="270" y="150" width="60" height="50" rx="6" fill="{k}"/>'
    '<rect x="210" y="196" width="180" height="294" rx="40" fill="{m}"/>'
    '<rect x="230" y="280" width="140" height="130" rx="12" fill="{w}"/>'
    '<path d="M300 300Q272 340 300 380 328 340 300 300Z" fill="{a}"/>',
    "BRS": '<g transform="rotate(35 300 300)"><path d="M250 110Q300 40 350 110L340 220H260Z" fill="{d}"/>'
    '<rect x="262" y="216" width="76" height="50" rx="6" fill="{s}"/>'
    '<path d="M270 266H330L312 500H288Z" fill="{m}"/></g>',
    "HND": '<rect x="230" y="110" width="140" height="26" rx="4" fill="{l}"/>'
    '<path d="M230 136H370L392 420H208Z" fill="{m}"/>'
    '<path d="M240 124H360" stroke="{d}" stroke-width="4" stroke-dasharray="6 6"/>'
    '<rect x="262" y="420" width="76" height="66" rx="10" fill="{d}"/>'
    '<rect x="242" y="230" width="116" height="110" rx="10" fill="{w}" opacity=".85"/>',
    # electronics
    "HPH": '<path d="M170 330V260Q170 120 300 120 430 120 430 260V330" fill="none" stroke="{k}" stroke-width="26"/>'
    '<rect x="128" y="290" width="90" height="150" rx="36" fill="{m}"/><rect x="382" y="290" width="90" height="150" rx="36" fill="{m}"/>'
    '<rect x="198" y="306" width="34" height="118" rx="16" fill="{k}"/><rect x="368" y="306" width="34" height="118" rx="16" fill="{k}"/>',
    "EAR": '<rect x="180" y="260" width="240" height="200" rx="90" fill="{w}"/>'
    '<path d="M180 340H420" stroke="{s}" stroke-width="6"/><circle cx="300" cy="400" r="7" fill="{a}"/>'
    '<g fill="{m}"><circle cx="220" cy="180" r="38"/><rect x="206" y="190" width="28" height="70" rx="14"/>'
    '<circle cx="380" cy="180" r="38"/><rect x="366" y="190" width="28" height="70" rx="14"/></g>',
    "PHN": '<rect x="200" y="90" width="200" height="410" rx="34" fill="{k}"/>'
    '<rect x="214" y="104" width="172" height="382" rx="24" fill="{l}"/>'
    '<rect x="270" y="114" width="60" height="16" rx="8" fill="{k}"/>'
    '<g fill="{m}"><rect x="234" y="160" width="40" height="40" rx="10"/><rect x="326" y="160" width="40" height="40" rx="10"/><rect x="234" y="222" width="40" height="40" rx="10"/></g>'
    '<g fill="{a}"><rect x="280" y="160" width="40" height="40" rx="10"/><rect x="280" y="222" width="40" height="40" rx="10"/><rect x="326" y="222" width="40" height="40" rx="10"/></g>'
    '<rect x="234" y="420" width="132" height="40" rx="14" fill="{w}" opacity=".7"/>',
    "SPK": '<rect x="130" y="220" width="340" height="220" rx="100" fill="{m}"/>'
    '<rect x="166" y="250" width="268" height="160" rx="70" fill="{d}"/>'
    '<circle cx="232" cy="330" r="52" fill="{k}"/><circle cx="368" cy="330" r="52" fill="{k}"/>'
    '<circle cx="232" cy="330" r="18" fill="{l}"/><circle cx="368" cy="330" r="18" fill="{l}"/>'
    '<rect x="260" y="214" width="80" height="12" rx="6" fill="{k}"/>',
    "SWT": '<rect x="246" y="80" width="108" height="440" rx="40" fill="{m}"/>'
    '<rect x="200" y="190" width="200" height="220" rx="50" fill="{k}"/>'
    '<rect x="400" y="260" width="14" height="50" rx="6" fill="{s}"/>'
    '<g fill="none" stroke-width="14" stroke-linecap="round"><circle cx="300" cy="300" r="66" stroke="{a}" stroke-dasharray="330 500"/>'
    '<circle cx="300" cy="300" r="44" stroke="{l}" stroke-dasharray="200 500"/><circle cx="300" cy="300" r="22" stroke="{b}" stroke-dasharray="100 500"/></g>',
    "PWB": '<rect x="200" y="110" width="200" height="380" rx="40" fill="{m}"/>'
    '<rect x="270" y="96" width="60" height="16" rx="4" fill="{k}"/>'
    '<path d="M316 200 256 316H300L284 410 346 286H302Z" fill="{w}"/>'
    '<g fill="{l}"><circle cx="258" cy="450" r="8"/><circle cx="286" cy="450" r="8"/><circle cx="314" cy="450" r="8"/></g>'
    '<circle cx="342" cy="450" r="8" fill="{d}"/>',
    "KBD": '<defs><pattern id="k" width="44" height="44" patternUnits="userSpaceOnUse" x="84" y="214">'
    '<rect x="4" y="4" width="36" height="36" rx="7" fill="{w}"/></pattern></defs>'
    '<rect x="70" y="200" width="460" height="230" rx="28" fill="{m}"/>'
    '<rect x="84" y="214" width="440" height="176" fill="url(#k)"/>'
    '<rect x="176" y="350" width="216" height="36" rx="7" fill="{a}"/>',
    "MSE": '<path d="M300 110Q410 110 410 260V380Q410 490 300 490 190 490 190 380V260Q190 110 300 110Z" fill="{m}"/>'
    '<path d="M190 270H410M300 110V270" stroke="{d}" stroke-width="6"/>'
    '<rect x="288" y="160" width="24" height="60" rx="12" fill="{k}"/>'
    '<path d="M220 340Q224 420 270 450" fill="none" stroke="{w}" stroke-width="10" stroke-linecap="round" opacity=".4"/>',
    "CAM": '<rect x="120" y="170" width="360" height="300" rx="50" fill="{m}"/>'
    '<rect x="120" y="400" width="360" height="70" rx="30" fill="{d}"/>'
    '<rect x="360" y="196" width="80" height="50" rx="12" fill="{k}"/>'
    '<rect x="162" y="200" width="60" height="30" rx="8" fill="{w}"/>'
    '<circle cx="300" cy="310" r="92" fill="{w}"/><circle cx="300" cy="310" r="70" fill="{k}"/>'
    '<circle cx="300" cy="310" r="34" fill="{s}"/><circle cx="286" cy="296" r="10" fill="{w}"/>'
    '<circle cx="430" cy="300" r="14" fill="{a}"/>',
    # sports & outdoors
    "SOC": '<circle cx="300" cy="300" r="190" fill="{w}"/>'
    '<path d="M300 248 350 284 331 343H269L250 284Z" fill="{k}"/>'
    '<path d="M300 248V172M350 284 420 258M331 343 372 408M269 343 228 408M250 284 180 258" stroke="{k}" stroke-width="6"/>'
    '<g fill="{m}"><path d="M256 114 300 110 344 114 330 172H270Z"/><path d="M478 240 488 300 470 360 420 330 424 262Z"/>'
    '<path d="M400 450 300 490 200 450 228 408H372Z"/><path d="M122 240 176 262 180 330 130 360 112 300Z"/></g>',
    "BSK": '<circle cx="300" cy="300" r="190" fill="{m}"/>'
    '<path d="M110 300H490M300 110V490M170 160Q250 300 170 440M430 160Q350 300 430 440" fill="none" stroke="{k}" stroke-width="8"/>',
    "BTL": '<path d="M260 140Q260 80 300 80 340 80 340 140" fill="none" stroke="{k}" stroke-width="14"/>'
    '<rect x="246" y="124" width="108" height="60" rx="14" fill="{k}"/>'
    '<path d="M246 184H354Q400 210 400 270V470Q400 500 370 500H230Q200 500 200 470V270Q200 210 246 184Z" fill="{m}"/>'
    '<rect x="200" y="330" width="200" height="56" fill="{a}"/>'
    '<path d="M228 270V460" stroke="{w}" stroke-width="14" stroke-linecap="round" opacity=".4"/>',
    "MAT": '<rect x="110" y="230" width="330" height="180" fill="{m}"/>'
    '<ellipse cx="440" cy="320" rx="50" ry="90" fill="{d}"/>'
    '<ellipse cx="440" cy="320" rx="32" ry="64" fill="none" stroke="{m}" stroke-width="10"/><ellipse cx="440" cy="320" rx="12" ry="30" fill="{l}"/>'
    '<ellipse cx="110" cy="320" rx="50" ry="90" fill="{m}"/>'
    '<rect x="190" y="226" width="30" height="188" fill="{k}"/><rect x="330" y="226" width="30" height="188" fill="{k}"/>',
    "DMB": '<rect x="150" y="280" width="300" height="40" rx="12" fill="{s}"/>'
    '<path d="M100 200H170L190 230V370L170 400H100L80 370V230Z" fill="{m}"/>'
    '<path d="M430 200H500L520 230V370L500 400H430L410 370V230Z" fill="{m}"/>'
    '<rect x="260" y="274" width="80" height="52" rx="10" fill="{d}"/>',
    "RKT": '<g transform="rotate(-35 300 300)"><rect x="284" y="360" width="32" height="170" rx="10" fill="{k}"/>'
    '<path d="M286 366 266 320M314 366 334 320" stroke="{m}" stroke-width="14"/>'
    '<ellipse cx="300" cy="210" rx="110" ry="140" fill="none" stroke="{m}" stroke-width="22"/>'
    '<path d="M240 90V330M280 72V350M320 72V350M360 90V330M196 140H404M190 190H410M190 240H410M196 290H404" stroke="{s}" stroke-width="4"/></g>'
    '<circle cx="460" cy="460" r="46" fill="#d6e24a"/><path d="M420 440Q460 470 500 440" fill="none" stroke="{w}" stroke-width="6"/>',
    "TNT": '<path d="M90 470 300 150 510 470Z" fill="{m}"/>'
    '<path d="M300 150 380 470H510Z" fill="{d}"/>'
    '<path d="M300 230 230 470H370Z" fill="{k}" opacity=".75"/>'
    '<path d="M300 150V120M70 470H530" stroke="{k}" stroke-width="8" stroke-linecap="round"/>',
    "JMP": '<path d="M180 180Q120 520 300 480 480 440 420 180" fill="none" stroke="{d}" stroke-width="8"/>'
    '<rect x="160" y="80" width="40" height="110" rx="16" fill="{m}"/><rect x="400" y="80" width="40" height="110" rx="16" fill="{m}"/>'
    '<rect x="164" y="180" width="32" height="16" rx="4" fill="{s}"/><rect x="404" y="180" width="32" height="16" rx="4" fill="{s}"/>',
    "HLM": '<path d="M200 392Q250 480 310 470 380 460 420 392" fill="none" stroke="{k}" stroke-width="8"/>'
    '<path d="M110 392Q100 190 300 176 480 180 506 350L478 392Z" fill="{m}"/>'
    '<path d="M180 300Q220 236 280 224M330 224Q400 232 440 300M136 330Q150 270 170 250" fill="none" stroke="{k}" stroke-width="24" stroke-linecap="round"/>'
    '<path d="M110 372H492L480 404H120Z" fill="{d}"/>'
    '<path d="M470 330Q520 330 546 366L540 378 470 362Z" fill="{k}"/>',
    "SOK": '<path d="M170 110H270V330Q270 370 300 390 340 414 330 460 318 500 270 490L180 460Q140 444 150 400L170 340Z" fill="{m}"/>'
    '<rect x="170" y="110" width="100" height="40" fill="{d}"/>'
    '<path d="M330 110H430V330Q430 370 460 390 500 414 490 460 478 500 430 490L340 460Q300 444 310 400L330 340Z" fill="{l}"/>'
    '<rect x="330" y="110" width="100" height="40" fill="{a}"/>',
}

# Natural colour ranges (hue degrees) for products that look wrong in any colour.
HUES = {
    "JNS": (205, 225), "JKT": (200, 222), "CHN": (28, 45), "BOT": (20, 34), "CHL": (18, 32),
    "LOF": (10, 28), "WAL": (15, 30), "BLT": (15, 30), "DUF": (25, 45), "PAN": (200, 230),
    "BRD": (24, 36), "BSK": (18, 28), "LIP": (340, 370), "NAI": (330, 370), "FRP": (20, 30),
}


def hexcolor(h, s, l):
    r, g, b = colorsys.hls_to_rgb((h % 360) / 360, l, s)
    return "#%02x%02x%02x" % (round(r * 255), round(g * 255), round(b * 255))


def palette(sku):
    """Deterministic colours derived from the SKU."""
    digest = hashlib.sha256(sku.encode("utf-8")).digest()
    kind = sku.split("-")[1]
    lo, hi = HUES.get(kind, (0, 360))
    h = lo + digest[0] * (hi - lo) / 256
    bgh = h + 150 + digest[1] % 60
    return {
        "m": hexcolor(h, 0.55, 0.55), "d": hexcolor(h, 0.45, 0.33), "l": hexcolor(h, 0.6, 0.8),
        "a": hexcolor(h + 120 + digest[2] % 120, 0.6, 0.6), "b": hexcolor(h + 40, 0.55, 0.7),
        "bg": hexcolor(bgh, 0.45, 0.94), "bg2": hexcolor(bgh, 0.4, 0.88),
        "w": "#fbfaf6", "k": "#2e2f38", "g": "#d2a84e", "s": "#c4cad2",
    }


def render(sku):
    c = palette(sku)
    kind = sku.split("-")[1]
    body = T[kind].format(**c)
    if sku.startswith("SHO-"):
        body = '<g transform="translate(0 30)">' + body + "</g>"
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="600" viewBox="0 0 600 600">'
        '<rect width="600" height="600" fill="{bg}"/><circle cx="300" cy="300" r="250" fill="{bg2}"/>'
        '<ellipse cx="300" cy="504" rx="210" ry="18" fill="{k}" opacity=".08"/>'.format(**c) + body + "</svg>\n"
    )


def main():
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with CSV_PATH.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        (OUT_DIR / row["image"]).write_text(render(row["sku"]), encoding="utf-8", newline="\n")
    print(f"wrote {len(rows)} images to {OUT_DIR}")


if __name__ == "__main__":
    main()
